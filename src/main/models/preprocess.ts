// Image → normalised NCHW float, as a model package's model.json prescribes. Fit, the runner, the
// live loop and the wizard all go through this one function, so a model always sees at run time
// exactly the preprocessing it was fitted with. Decoding (pixel limit, BMP, clear errors),
// geometry and the float conversion are src/main/imaging's; this file only maps a
// PreprocessSpec onto them.
import {
  ImageDecodeError,
  decodeImage,
  resize,
  resizeShorterCenterCrop,
  toNCHWFloat32,
  type RgbImage,
} from '../imaging';

export { ImageDecodeError };

export interface PreprocessSpec {
  /** Shorter side is resized to this before the centre crop (0 = resize the whole frame to crop size). */
  resize: number;
  /** Square centre crop = the model's input H = W. */
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'RGB' | 'BGR';
}

export type ImageInput =
  string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: 1 | 3 | 4 };

/**
 * Resampling kernel of every model input. Lanczos3 is what sharp used by default when fit and the
 * runner resized images themselves (all published AUROCs were measured with it); keeping it means
 * packages exported before this module moved onto src/main/imaging see the same pixels.
 */
const KERNEL = 'lanczos3' as const;

/** Raw pixel buffers (camera frames) as imaging's RGB: grey is replicated, alpha dropped. */
function rawToRgb(img: { data: Uint8Array; width: number; height: number; channels: 1 | 3 | 4 }): RgbImage {
  const { width, height, channels } = img;
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new ImageDecodeError('corrupt', `(raw ${width}×${height}×${channels})`, 'invalid size');
  if (img.data.length !== n * channels) {
    throw new ImageDecodeError(
      'corrupt',
      `(raw ${width}×${height}×${channels})`,
      `holds ${img.data.length} bytes, expected ${n * channels}`,
    );
  }
  if (channels === 3) return { width, height, channels: 3, data: img.data };
  const out = new Uint8Array(n * 3);
  for (let i = 0, s = 0; i < n; i++, s += channels) {
    const r = img.data[s];
    out[i * 3] = r;
    out[i * 3 + 1] = channels === 1 ? r : img.data[s + 1];
    out[i * 3 + 2] = channels === 1 ? r : img.data[s + 2];
  }
  return { width, height, channels: 3, data: out };
}

/** Decodes a file, encoded bytes or raw pixels (imaging's pixel limit and ImageDecodeError apply). */
export async function decodeInput(img: ImageInput): Promise<RgbImage> {
  if (typeof img === 'string') return decodeImage(img);
  if (img instanceof Uint8Array) return decodeImage(img, { name: `(${img.length}-byte buffer)` });
  return rawToRgb(img);
}

/**
 * The geometry of a spec on decoded pixels: resize-shorter + centre crop, or (resize 0) the whole
 * frame squashed to crop × crop. Exported so ground-truth masks can follow it with kernel 'nearest'.
 */
export function fitToInput(
  img: RgbImage,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
  kernel: 'nearest' | 'lanczos3' = KERNEL,
): Promise<RgbImage> {
  if (spec.resize > 0) {
    // A shorter side below the crop would have nothing to crop; never shrink below it.
    return resizeShorterCenterCrop(img, {
      shorter: Math.max(spec.resize, spec.crop),
      crop: spec.crop,
      kernel,
    });
  }
  return resize(img, spec.crop, spec.crop, { kernel });
}

/** Decoded, resized, centre-cropped RGB bytes (crop × crop × 3). */
export async function loadRgb(
  img: ImageInput,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
): Promise<Uint8Array> {
  return (await fitToInput(await decodeInput(img), spec)).data;
}

/** Writes one image into `out` at batch slot `index` (NCHW, normalised). */
export function rgbToNchw(rgb: Uint8Array, spec: PreprocessSpec, out: Float32Array, index: number): void {
  const s = spec.crop;
  toNCHWFloat32(
    { width: s, height: s, channels: 3, data: rgb },
    { mean: spec.mean, std: spec.std, channelOrder: spec.channelOrder },
    out,
    index * 3 * s * s,
  );
}

export async function preprocessBatch(images: ImageInput[], spec: PreprocessSpec): Promise<Float32Array> {
  const out = new Float32Array(images.length * 3 * spec.crop * spec.crop);
  const rgbs = await Promise.all(images.map((img) => loadRgb(img, spec)));
  rgbs.forEach((rgb, i) => rgbToNchw(rgb, spec, out, i));
  return out;
}
