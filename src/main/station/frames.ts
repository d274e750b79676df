// Frame decoding and the small images the station produces per result (stored JPEG, colour
// heatmap PNG, UI thumbnail, 8-bit map).
import sharp, { type Sharp } from 'sharp';
import { colorize, encodeMap8 } from '../imaging/colormap';
import { encodeJpeg, encodePng } from '../imaging/encode';
import { loadRgb, type PreprocessSpec } from '../models/preprocess';
import type { ModelJson } from '../models/schema';
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

/** Encoded bytes as sRGB RGB, EXIF-oriented (as the fit path), truncation an error. */
function srgb(image: Buffer): Sharp {
  return sharp(image, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
}

function checkRaw(image: RawRgb): RawRgb {
  if (image.data.length !== image.width * image.height * 3) {
    throw new CorruptFrameError(
      `raw frame holds ${image.data.length} bytes; ${image.width}×${image.height} RGB needs ${image.width * image.height * 3}`,
    );
  }
  return image;
}

function corrupt(e: unknown): CorruptFrameError {
  if (e instanceof CorruptFrameError) return e;
  return new CorruptFrameError(`cannot decode frame: ${(e as Error).message}`, { cause: e });
}

/**
 * Full-resolution 8-bit RGB of a frame. Truncated or garbage files throw CorruptFrameError;
 * sharp's failOn 'error' makes truncation an error instead of a grey-padded image.
 */
export async function decodeFrame(image: Buffer | RawRgb): Promise<RawRgb> {
  if (!Buffer.isBuffer(image)) return checkRaw(image);
  if (image.length === 0) throw new CorruptFrameError('empty file');
  try {
    const { data, info } = await srgb(image).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (e) {
    throw corrupt(e);
  }
}

/**
 * The model's input pixels (crop × crop RGB) of a frame, decoded at that size: the inspection
 * path never holds the full-resolution image. For whole-frame models (resize 0, both backbones'
 * default) decode and resize are one libvips pipeline, so a JPEG is decoded with shrink-on-load
 * (DCT scaling to ≥ the target size, then the same lanczos3 reduce). PNG pixels are identical to
 * decodeFrame + loadRgb (a test checks it); JPEG ones differ by rounding of the DCT scaling.
 * Resize + centre-crop models keep the two-step path (its rounding is torchvision's, not libvips').
 */
export async function decodeFrameForModel(
  image: Buffer | RawRgb,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
): Promise<Uint8Array> {
  if (!Buffer.isBuffer(image) || spec.resize > 0) {
    const rgb = await decodeFrame(image);
    try {
      return await loadRgb(rgb, spec);
    } catch (e) {
      throw corrupt(e);
    }
  }
  if (image.length === 0) throw new CorruptFrameError('empty file');
  try {
    const { data, info } = await srgb(image)
      .resize(spec.crop, spec.crop, { fit: 'fill', kernel: 'lanczos3', fastShrinkOnLoad: false })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    throw corrupt(e);
  }
}

/** Inverse of normaliseScore: the raw score that normalises to `norm`. */
export function denormalise(norm: number, n: ModelJson['normalisation']): number {
  const [lo, hi] = n.method === 'minmax' ? [n.min, n.max] : [n.low, n.high];
  const span = hi - lo;
  return span > 0 ? lo + norm * span : lo + norm;
}

/**
 * Fixed display range of anomaly maps for a model: the "typical good" level (normalised 0) to the
 * FAIL threshold. A per-frame min–max would paint every good part's noise bright red.
 */
export function heatRange(n: ModelJson['normalisation'], t2: number): { min: number; max: number } {
  const min = denormalise(0, n);
  const max = denormalise(Math.max(t2, 1e-6), n);
  return max > min ? { min, max } : { min, max: min + 1 };
}

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
  return srgb(original).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
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
  const img = Buffer.isBuffer(image)
    ? srgb(image)
    : sharp(checkRaw(image).data, { raw: { width: image.width, height: image.height, channels: 3 } });
  const { data, info } = await img
    .resize({ width: maxWidth, withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
