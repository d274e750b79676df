// Image → normalised NCHW float, as a model package's model.json prescribes. Adapter over sharp
// while src/main/imaging is being written; fit and the runner both use this one function, so a
// model always sees at run time exactly the preprocessing it was fitted with.
import sharp from 'sharp';

export interface PreprocessSpec {
  /** Shorter side is resized to this before the centre crop (0 = resize straight to crop size). */
  resize: number;
  /** Square centre crop = the model's input H = W. */
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'RGB' | 'BGR';
}

export class ImageDecodeError extends Error {
  constructor(source: string, cause: unknown) {
    super(`cannot decode image ${source}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'ImageDecodeError';
  }
}

export type ImageInput =
  string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: 1 | 3 | 4 };

function describe(img: ImageInput): string {
  if (typeof img === 'string') return img;
  if (img instanceof Uint8Array) return `(${img.length}-byte buffer)`;
  return `(raw ${img.width}×${img.height}×${img.channels})`;
}

/** Decoded, resized, centre-cropped RGB bytes (crop × crop × 3). */
export async function loadRgb(
  img: ImageInput,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
): Promise<Uint8Array> {
  try {
    const base =
      typeof img === 'string' || img instanceof Uint8Array
        ? sharp(img, { failOn: 'error' })
        : sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
    const meta = await base.metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    const w = meta.width;
    const h = meta.height;
    let rw: number;
    let rh: number;
    if (spec.resize > 0) {
      const s = spec.resize / Math.min(w, h);
      rw = Math.max(spec.crop, Math.round(w * s));
      rh = Math.max(spec.crop, Math.round(h * s));
    } else {
      rw = spec.crop;
      rh = spec.crop;
    }
    const left = Math.floor((rw - spec.crop) / 2);
    const top = Math.floor((rh - spec.crop) / 2);
    const { data, info } = await base
      .rotate() // honour EXIF orientation like every viewer does
      .removeAlpha()
      .toColourspace('srgb')
      .resize(rw, rh, { fit: 'fill' })
      .extract({ left, top, width: spec.crop, height: spec.crop })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    throw new ImageDecodeError(describe(img), e);
  }
}

/** Writes one image into `out` at batch slot `index` (NCHW, normalised). */
export function rgbToNchw(rgb: Uint8Array, spec: PreprocessSpec, out: Float32Array, index: number): void {
  const s = spec.crop;
  const plane = s * s;
  const base = index * 3 * plane;
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const scale = 1 / (255 * spec.std[c]);
    const shift = spec.mean[c] / spec.std[c];
    const o = base + c * plane;
    for (let i = 0; i < plane; i++) out[o + i] = rgb[i * 3 + src] * scale - shift;
  }
}

export async function preprocessBatch(images: ImageInput[], spec: PreprocessSpec): Promise<Float32Array> {
  const out = new Float32Array(images.length * 3 * spec.crop * spec.crop);
  const rgbs = await Promise.all(images.map((img) => loadRgb(img, spec)));
  rgbs.forEach((rgb, i) => rgbToNchw(rgb, spec, out, i));
  return out;
}
