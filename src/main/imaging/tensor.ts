// RGB pixels → model input (N×3×H×W float32). Runs per frame on the hot path, so it writes
// into caller-owned buffers and does no per-pixel allocation.
import { assertRgb, type RgbImage } from './types';

export interface TensorOptions {
  /** Per output channel, in `channelOrder` order (as the model's metadata states them). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  channelOrder?: 'RGB' | 'BGR';
  /** Applied to 0..255 before mean/std; 1/255 for ImageNet-style models. */
  scale?: number;
}

export function toNCHWFloat32(
  img: RgbImage,
  options: TensorOptions,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  assertRgb(img);
  const plane = img.width * img.height;
  const target = out ?? new Float32Array(3 * plane);
  if (offset < 0 || offset + 3 * plane > target.length) {
    throw new RangeError(
      `Output holds ${target.length} floats; writing ${3 * plane} at ${offset} does not fit.`,
    );
  }
  const scale = options.scale ?? 1 / 255;
  const bgr = options.channelOrder === 'BGR';
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const std = options.std[c];
    if (!(std > 0) || !Number.isFinite(options.mean[c]))
      throw new RangeError(`Invalid mean/std for channel ${c}.`);
    // (v*scale - mean)/std folded into one multiply-add.
    const a = scale / std;
    const b = -options.mean[c] / std;
    const srcChannel = bgr ? 2 - c : c;
    const base = offset + c * plane;
    for (let i = 0, s = srcChannel; i < plane; i++, s += 3) target[base + i] = src[s] * a + b;
  }
  return target;
}

export function toNCHWFloat32Batch(
  images: readonly RgbImage[],
  options: TensorOptions,
  out?: Float32Array,
): Float32Array {
  if (images.length === 0) throw new RangeError('A batch needs at least one image.');
  const { width, height } = images[0];
  const size = 3 * width * height;
  const target = out ?? new Float32Array(images.length * size);
  images.forEach((img, n) => {
    if (img.width !== width || img.height !== height) {
      throw new RangeError(
        `Batch image ${n} is ${img.width}x${img.height}; the batch is ${width}x${height}.`,
      );
    }
    toNCHWFloat32(img, options, target, n * size);
  });
  return target;
}

export const IMAGENET_RGB: Pick<TensorOptions, 'mean' | 'std'> = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
