// One entry point from file bytes to RGB pixels, for training scans, evaluation and the live
// loop alike: the same formats (sharp's plus our BMP decoder), the same EXIF orientation and the
// same pixel limit, so a model sees on the line exactly what it was fitted on. Dimensions are
// checked from the header before any pixel buffer exists, so a small file claiming gigapixels
// (a decompression bomb) costs nothing.
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { decodeBmp, isBmp } from './bmp';
import { imageCompleteness } from './completeness';
import { ImageDecodeError } from './errors';
import type { RgbImage } from './types';

export interface DecodeOptions {
  maxPixels?: number;
  /** Used in error messages when the input is a buffer. */
  name?: string;
  /**
   * Decode straight to size×size (lanczos3, aspect not kept) in one libvips pipeline, so a JPEG
   * is decoded with shrink-on-load and the full-resolution image never exists (the live loop's
   * whole-frame models). BMP is decoded in full and resized by the caller.
   */
  resizeTo?: number;
}

const SHARP_FORMATS = new Set(['png', 'jpeg', 'tiff', 'webp']);

/** 40 MP: well above any line camera (a 20 MP sensor is 5472×3648), far below a memory problem. */
export const MAX_DECODE_PIXELS = 40e6;

export async function decodeImage(
  input: Buffer | Uint8Array | string,
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_DECODE_PIXELS;
  const file = typeof input === 'string' ? input : (options.name ?? '<buffer>');
  let buf: Buffer;
  if (typeof input === 'string') {
    try {
      buf = await readFile(input);
    } catch (err) {
      throw new ImageDecodeError('unreadable', file, (err as Error).message);
    }
  } else {
    buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  if (buf.length === 0) throw new ImageDecodeError('empty', file, 'the file is empty');
  if (isBmp(buf)) {
    if (options.resizeTo) throw new Error('decodeImage: resizeTo is not supported for BMP; decode in full');
    return decodeBmp(buf, file, maxPixels);
  }
  // BMP has its own, more precise size checks; PNG and JPEG decoders only say "read error".
  if (imageCompleteness(buf) === 'truncated') {
    throw new ImageDecodeError(
      'truncated',
      file,
      `the file is truncated: its ${buf.length} bytes end before the image's end marker (cut short, or still being written)`,
    );
  }

  let meta: Metadata;
  try {
    // Header only; the pixel limit is enforced below with a clearer message.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageDecodeError('corrupt', file, `not a readable image (${(err as Error).message})`);
  }
  if (!meta.format || !SHARP_FORMATS.has(meta.format)) {
    throw new ImageDecodeError(
      'unsupported',
      file,
      `format "${meta.format ?? 'unknown'}" is not supported (PNG, JPEG, BMP, TIFF, WebP)`,
    );
  }
  const { width = 0, height = 0 } = meta;
  if (width <= 0 || height <= 0)
    throw new ImageDecodeError('corrupt', file, `header has no valid size (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      'too_large',
      file,
      `${meta.format} is ${width}x${height} = ${width * height} pixels, above the ${maxPixels}-pixel limit`,
    );
  }

  let raw: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(buf, { limitInputPixels: Math.max(1, Math.floor(maxPixels)), failOn: 'truncated' })
      // EXIF orientation: the pixels the operator sees in any viewer are the ones inspected.
      .rotate()
      .removeAlpha()
      .toColourspace('srgb');
    if (options.resizeTo) {
      const n = options.resizeTo;
      pipeline = pipeline.resize(n, n, { fit: 'fill', kernel: 'lanczos3', fastShrinkOnLoad: false });
    }
    raw = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    const message = (err as Error).message;
    const truncated = /truncat|premature|end of (file|stream)|unexpected end|short/i.test(message);
    throw new ImageDecodeError(
      truncated ? 'truncated' : 'corrupt',
      file,
      truncated
        ? `the ${meta.format} file is truncated: it ends before the image data does (${message})`
        : `${meta.format} data is damaged (${message})`,
    );
  }
  return toRgb(raw.data, raw.info, file);
}

function toRgb(data: Buffer, info: OutputInfo, file: string): RgbImage {
  const { width, height, channels } = info;
  const pixels = width * height;
  if (channels === 3) {
    return { width, height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, pixels * 3) };
  }
  if (channels !== 1 && channels !== 2) {
    throw new ImageDecodeError('unsupported', file, `decoded to ${channels} channels; expected grey or RGB`);
  }
  // Grey (with or without alpha) is expanded so every model sees three channels.
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, s = 0; i < pixels; i++, s += channels) {
    const g = data[s];
    out[i * 3] = g;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = g;
  }
  return { width, height, channels: 3, data: out };
}
