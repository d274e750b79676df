// Test fixtures are generated, never checked in: gradients and checkerboards with known values.
import { deflateSync } from 'node:zlib';
import type { RgbImage } from '../../../src/main/imaging/types';

/** r = x ramp, g = y ramp, b = (x + y) parity pattern: every pixel is distinguishable. */
export function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((x * 255) / Math.max(1, width - 1));
      data[i + 1] = Math.round((y * 255) / Math.max(1, height - 1));
      data[i + 2] = (x + y) % 2 ? 200 : 40;
    }
  }
  return { width, height, channels: 3, data };
}

export function checkerboard(width: number, height: number, cell: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 ? 255 : 0;
      data.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { width, height, channels: 3, data };
}

export interface BmpWriteOptions {
  bpp: 8 | 24 | 32;
  topDown?: boolean;
  bitfields?: boolean;
  /** Omit the final row's padding, as some writers do. */
  trimLastPadding?: boolean;
}

/** A straightforward BMP writer (BITMAPINFOHEADER) used to exercise our decoder. */
export function writeBmp(img: RgbImage, o: BmpWriteOptions): Buffer {
  const { width, height } = img;
  let palette: number[][] = [];
  let indices: Uint8Array | null = null;
  if (o.bpp === 8) {
    const map = new Map<string, number>();
    indices = new Uint8Array(width * height);
    for (let p = 0; p < width * height; p++) {
      const key = `${img.data[p * 3]},${img.data[p * 3 + 1]},${img.data[p * 3 + 2]}`;
      let idx = map.get(key);
      if (idx === undefined) {
        idx = map.size;
        if (idx > 255) throw new Error('too many colours for an 8-bit BMP fixture');
        map.set(key, idx);
        palette.push([img.data[p * 3], img.data[p * 3 + 1], img.data[p * 3 + 2]]);
      }
      indices[p] = idx;
    }
  } else palette = [];
  const masks = o.bpp === 32 && o.bitfields ? 12 : 0;
  const stride = Math.floor((o.bpp * width + 31) / 32) * 4;
  const headerBytes = 14 + 40 + masks + palette.length * 4;
  const pixelBytes = stride * height - (o.trimLastPadding ? stride - Math.ceil((o.bpp * width) / 8) : 0);
  const buf = Buffer.alloc(headerBytes + pixelBytes);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(headerBytes, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(o.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(o.bpp, 28);
  buf.writeUInt32LE(masks ? 3 : 0, 30);
  buf.writeUInt32LE(o.bpp === 8 ? palette.length : 0, 46);
  let off = 54;
  if (masks) {
    buf.writeUInt32LE(0x00ff0000, off);
    buf.writeUInt32LE(0x0000ff00, off + 4);
    buf.writeUInt32LE(0x000000ff, off + 8);
    off += 12;
  }
  for (const [r, g, b] of palette) {
    buf[off++] = b;
    buf[off++] = g;
    buf[off++] = r;
    buf[off++] = 0;
  }
  for (let y = 0; y < height; y++) {
    const fileRow = o.topDown ? y : height - 1 - y;
    let d = headerBytes + fileRow * stride;
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (o.bpp === 8) buf[d++] = indices![p];
      else {
        buf[d++] = img.data[p * 3 + 2];
        buf[d++] = img.data[p * 3 + 1];
        buf[d++] = img.data[p * 3];
        if (o.bpp === 32) buf[d++] = 0x7f;
      }
    }
  }
  return buf;
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG whose header claims width×height but carries almost no data (a bomb). */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function pixel(img: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
