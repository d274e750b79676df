// Frame decoding and the small images the station produces per result (stored JPEG, colour
// heatmap PNG, UI thumbnail, 8-bit map).
import sharp, { type Sharp } from 'sharp';
import { colorize, encodeMap8 } from '../imaging/colormap';
import { decodeImage } from '../imaging/decode';
import { encodeJpeg, encodePng } from '../imaging/encode';
import { isBmp } from '../imaging/bmp';
import { loadRgb, type PreprocessSpec } from '../models/preprocess';
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
 * A sharp pipeline over a frame's sRGB pixels, EXIF-oriented (as the fit path). BMP, which libvips
 * does not read, goes through the shared decoder first.
 */
async function srgb(image: Buffer | RawRgb): Promise<Sharp> {
  if (Buffer.isBuffer(image) && !isBmp(image)) {
    return sharp(image, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
  }
  const rgb = Buffer.isBuffer(image) ? await decodeImage(image) : checkRaw(image);
  return sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
}

function checkRaw(image: RawRgb): RawRgb {
  if (image.data.length !== image.width * image.height * 3) {
    throw new CorruptFrameError(
      `raw frame holds ${image.data.length} bytes; ${image.width}×${image.height} RGB needs ${image.width * image.height * 3}`,
    );
  }
  return image;
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

/**
 * The model's input pixels (crop × crop RGB) of a frame, decoded at that size: the inspection
 * path never holds the full-resolution image. For whole-frame models (resize 0, both backbones'
 * default) decode and resize are one libvips pipeline inside the shared decoder (same limits,
 * EXIF orientation and truncation checks as decodeFrame), so a JPEG is decoded with
 * shrink-on-load. PNG pixels are identical to decodeFrame + loadRgb (a test checks it); JPEG ones
 * differ by rounding of the DCT scaling. Resize + centre-crop models and BMP keep the two-step path.
 */
export async function decodeFrameForModel(
  image: Buffer | RawRgb,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
  name = 'frame',
): Promise<Uint8Array> {
  if (!Buffer.isBuffer(image) || spec.resize > 0 || isBmp(image)) {
    const rgb = await decodeFrame(image, name);
    try {
      return await loadRgb(rgb, spec);
    } catch (e) {
      throw new CorruptFrameError(`${name}: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    return (await decodeImage(image, { name, resizeTo: spec.crop })).data;
  } catch (e) {
    throw new CorruptFrameError((e as Error).message, { cause: e });
  }
}

// Kept importable from here for the live loop; they live beside normaliseScore.
export { denormalise, heatRange } from '../models/schema';

export function map8(map: Float32Array, range: { min: number; max: number }): Uint8Array {
  return encodeMap8(map, range.min, range.max);
}

/**
 * Stored frame: an incoming JPEG is kept byte for byte (no second generation loss), anything else
 * becomes JPEG q90, decoded from the original here (in the logger, off the inspection path).
 */
export async function storedFrameJpeg(original: Buffer | RawRgb): Promise<Uint8Array> {
  if (!Buffer.isBuffer(original)) return encodeJpeg(checkRaw(original), { quality: 90 });
  if (sniff(original) === 'jpg') return original;
  return (await srgb(original)).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
}

export function heatmapPng(
  map: Float32Array,
  width: number,
  height: number,
  range: { min: number; max: number },
): Promise<Buffer> {
  return encodePng({ width, height, channels: 3, data: colorize(map, width, height, range) });
}

/**
 * UI thumbnail: at most `maxWidth` wide, aspect kept. From the original frame (JPEG shrink-on-load),
 * for the rate-limited preview only.
 */
export async function thumbnailJpeg(
  image: Buffer | RawRgb,
  maxWidth = 480,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await (
    await srgb(image)
  )
    .resize({ width: maxWidth, withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
