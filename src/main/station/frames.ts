// Frame decoding and the small images the station produces per result (stored JPEG, colour
// heatmap PNG, UI thumbnail, 8-bit map).
import sharp from 'sharp';
import { colorize, encodeMap8 } from '../imaging/colormap';
import { decodeImage } from '../imaging/decode';
import { encodeJpeg, encodePng } from '../imaging/encode';
import type { RawRgb } from '../sources/types';

export class CorruptFrameError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptFrameError';
  }
}

export type EncodedKind = 'jpg' | 'png' | 'bmp' | 'tiff' | 'webp' | null;

/** Container type from magic bytes (file names of hot-folder images cannot be trusted). */
export function sniff(buf: Uint8Array): EncodedKind {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpg';
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47)
    return 'png';
  if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) return 'bmp';
  if (
    buf.length >= 4 &&
    ((buf[0] === 0x49 && buf[1] === 0x49 && buf[2] === 0x2a) ||
      (buf[0] === 0x4d && buf[1] === 0x4d && buf[3] === 0x2a))
  )
    return 'tiff';
  if (
    buf.length >= 12 &&
    buf[0] === 0x52 &&
    buf[1] === 0x49 &&
    buf[2] === 0x46 &&
    buf[3] === 0x46 &&
    buf[8] === 0x57 &&
    buf[9] === 0x45
  )
    return 'webp';
  return null;
}

/**
 * Full-resolution 8-bit RGB of a frame, through the same decoder as training and evaluation
 * (formats, EXIF orientation, 40 MP limit checked from the header). Empty, truncated, oversized
 * or garbage files throw CorruptFrameError naming the file and what is wrong with it.
 */
export async function decodeFrame(image: Buffer | RawRgb, name = 'frame'): Promise<RawRgb> {
  if (!Buffer.isBuffer(image)) {
    if (image.data.length !== image.width * image.height * 3) {
      throw new CorruptFrameError(
        `${name}: raw frame holds ${image.data.length} bytes; ${image.width}×${image.height} RGB needs ${image.width * image.height * 3}`,
      );
    }
    return image;
  }
  try {
    return await decodeImage(image, { name });
  } catch (e) {
    throw new CorruptFrameError((e as Error).message, { cause: e });
  }
}

// Kept importable from here for the live loop; they live beside normaliseScore.
export { denormalise, heatRange } from '../models/schema';

export function map8(map: Float32Array, range: { min: number; max: number }): Uint8Array {
  return encodeMap8(map, range.min, range.max);
}

/** Stored frame: an incoming JPEG is kept byte for byte (no second generation loss), anything else becomes JPEG q90. */
export async function storedFrameJpeg(original: Buffer | RawRgb, rgb: RawRgb): Promise<Uint8Array> {
  if (Buffer.isBuffer(original) && sniff(original) === 'jpg') return original;
  return encodeJpeg(rgb, { quality: 90 });
}

export function heatmapPng(
  map: Float32Array,
  width: number,
  height: number,
  range: { min: number; max: number },
): Promise<Buffer> {
  return encodePng({ width, height, channels: 3, data: colorize(map, width, height, range) });
}

/** UI thumbnail: at most `maxWidth` wide, aspect kept. */
export async function thumbnailJpeg(
  rgb: RawRgb,
  maxWidth = 480,
): Promise<{ data: Buffer; width: number; height: number }> {
  const width = Math.min(maxWidth, rgb.width);
  const height = Math.max(1, Math.round((rgb.height * width) / rgb.width));
  let img = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  if (width !== rgb.width) img = img.resize(width, height, { fit: 'fill' });
  const data = await img.jpeg({ quality: 80 }).toBuffer();
  return { data, width, height };
}
