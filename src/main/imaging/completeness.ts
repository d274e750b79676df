// Whether encoded image bytes reach their format's end: a writer that has not finished (a camera
// SDK pausing between chunks) or a file cut short leaves bytes that decoders report only vaguely
// ("libpng read error") or, for some formats, decode into grey padding. The end markers tell.

export type Completeness = 'complete' | 'truncated' | 'unknown';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Length 0, "IEND", CRC: the last 12 bytes of every PNG. */
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
/** Some cameras pad after the JPEG end-of-image marker; look for it this far from the end. */
const JPEG_TAIL = 512;

const startsWith = (buf: Uint8Array, bytes: number[], at = 0): boolean =>
  buf.length >= at + bytes.length && bytes.every((b, i) => buf[at + i] === b);

/** 'unknown' for formats without an end marker (TIFF) or that we do not recognise. */
export function imageCompleteness(buf: Uint8Array): Completeness {
  if (startsWith(buf, PNG_SIGNATURE)) {
    return startsWith(buf, PNG_IEND, buf.length - PNG_IEND.length) ? 'complete' : 'truncated';
  }
  if (startsWith(buf, [0xff, 0xd8, 0xff])) {
    for (let i = buf.length - 2; i >= Math.max(2, buf.length - JPEG_TAIL); i--) {
      if (buf[i] === 0xff && buf[i + 1] === 0xd9) return 'complete';
    }
    return 'truncated';
  }
  if (startsWith(buf, [0x42, 0x4d]) && buf.length >= 6) {
    // bfSize may be 0 in files from careless writers; then only the decoder can tell.
    const declared = buf[2] | (buf[3] << 8) | (buf[4] << 16) | (buf[5] * 2 ** 24);
    if (declared === 0) return 'unknown';
    return buf.length >= declared ? 'complete' : 'truncated';
  }
  if (startsWith(buf, [0x52, 0x49, 0x46, 0x46]) && startsWith(buf, [0x57, 0x45, 0x42, 0x50], 8)) {
    const riff = buf[4] | (buf[5] << 8) | (buf[6] << 16) | (buf[7] * 2 ** 24);
    return buf.length >= riff + 8 ? 'complete' : 'truncated';
  }
  return 'unknown';
}
