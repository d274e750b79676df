// On-the-fly augmentation of [B, C, H, W] float batches: flips, rotation (bilinear, edges
// replicated) and colour jitter (brightness, contrast, saturation), with every random choice drawn
// from a seeded RNG keyed by (seed, epoch, step), so a resumed run sees the augmentations an
// uninterrupted one would. Runs in JS while ONNX Runtime computes the previous step on its own
// threads (runTrainingLoop prefetches the next batch), so the step does not wait on it.
import { createRng, type Rng } from '../util/rng';

export interface AugmentOptions {
  /** Probability of a horizontal / vertical flip. */
  hflip?: number;
  vflip?: number;
  /** Rotation by an angle uniform in ±rotateDeg degrees. */
  rotateDeg?: number;
  /** Factors uniform in [1 − a, 1 + a]. */
  brightness?: number;
  contrast?: number;
  /** RGB only (C = 3); ignored otherwise. */
  saturation?: number;
  /** Clamp results to [0, 1] (inputs in [0, 1]); default true. */
  clamp?: boolean;
}

/** The random choices for one sample. */
export interface SampleAugment {
  hflip: boolean;
  vflip: boolean;
  angle: number;
  brightness: number;
  contrast: number;
  saturation: number;
}

export function drawAugment(rng: Rng, o: AugmentOptions): SampleAugment {
  const factor = (a = 0) => (a > 0 ? rng.uniform(1 - a, 1 + a) : 1);
  return {
    hflip: (o.hflip ?? 0) > 0 && rng.next() < o.hflip!,
    vflip: (o.vflip ?? 0) > 0 && rng.next() < o.vflip!,
    angle: (o.rotateDeg ?? 0) > 0 ? (rng.uniform(-o.rotateDeg!, o.rotateDeg!) * Math.PI) / 180 : 0,
    brightness: factor(o.brightness),
    contrast: factor(o.contrast),
    saturation: factor(o.saturation),
  };
}

/** Geometry (one inverse mapping, bilinear) then colour, from `src` into `dst` (both C·H·W). */
export function augmentSample(
  src: Float32Array,
  dst: Float32Array,
  c: number,
  h: number,
  w: number,
  a: SampleAugment,
  clamp = true,
): void {
  const plane = h * w;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(a.angle);
  const sin = Math.sin(a.angle);
  const geometric = a.hflip || a.vflip || a.angle !== 0;
  if (!geometric) dst.set(src.subarray(0, c * plane));
  else {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        // Output pixel → source coordinates: undo the rotation, then the flips.
        const dy = i - cy;
        const dx = j - cx;
        let sy = cy + cos * dy - sin * dx;
        let sx = cx + sin * dy + cos * dx;
        if (a.vflip) sy = h - 1 - sy;
        if (a.hflip) sx = w - 1 - sx;
        sy = Math.min(h - 1, Math.max(0, sy));
        sx = Math.min(w - 1, Math.max(0, sx));
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(h - 1, y0 + 1);
        const x1 = Math.min(w - 1, x0 + 1);
        const fy = sy - y0;
        const fx = sx - x0;
        const o = i * w + j;
        for (let k = 0; k < c; k++) {
          const b = k * plane;
          const top = src[b + y0 * w + x0] * (1 - fx) + src[b + y0 * w + x1] * fx;
          const bot = src[b + y1 * w + x0] * (1 - fx) + src[b + y1 * w + x1] * fx;
          dst[b + o] = top * (1 - fy) + bot * fy;
        }
      }
    }
  }
  if (a.brightness === 1 && a.contrast === 1 && (a.saturation === 1 || c !== 3)) return;
  // Contrast pivots on the image's mean grey level (as torchvision's ColorJitter).
  let mean = 0;
  if (a.contrast !== 1) {
    for (let p = 0; p < plane; p++)
      mean += c === 3 ? 0.299 * dst[p] + 0.587 * dst[plane + p] + 0.114 * dst[2 * plane + p] : dst[p];
    mean = (mean / plane) * a.brightness;
  }
  const lim = (v: number) => (clamp ? Math.min(1, Math.max(0, v)) : v);
  const jit = (v: number, grey: number) => {
    const sat = grey + (v - grey) * a.saturation;
    return lim(a.contrast === 1 ? sat : mean + (sat - mean) * a.contrast);
  };
  for (let p = 0; p < plane; p++) {
    if (c === 3 && a.saturation !== 1) {
      const r = dst[p] * a.brightness;
      const g = dst[plane + p] * a.brightness;
      const bl = dst[2 * plane + p] * a.brightness;
      const grey = 0.299 * r + 0.587 * g + 0.114 * bl;
      dst[p] = jit(r, grey);
      dst[plane + p] = jit(g, grey);
      dst[2 * plane + p] = jit(bl, grey);
    } else {
      for (let k = 0; k < c; k++) {
        const v = dst[k * plane + p] * a.brightness;
        dst[k * plane + p] = lim(a.contrast === 1 ? v : mean + (v - mean) * a.contrast);
      }
    }
  }
}

/**
 * Augments a batch [B, C, H, W] into `out` (allocated when absent). Sample b of step (epoch, step)
 * always gets the same augmentation for a given seed.
 */
export function augmentBatch(
  x: Float32Array,
  shape: readonly [number, number, number, number],
  key: { seed: number; epoch: number; step: number },
  o: AugmentOptions,
  out = new Float32Array(x.length),
): Float32Array {
  const [b, c, h, w] = shape;
  const n = c * h * w;
  if (x.length !== b * n || out.length !== b * n)
    throw new Error(`augmentBatch: data has ${x.length} values, shape [${shape.join(',')}] needs ${b * n}`);
  const rng = createRng(
    (Math.imul(key.seed + 1, 0x85ebca6b) ^ Math.imul(key.epoch + 1, 0xc2b2ae35) ^ key.step) >>> 0,
  );
  for (let i = 0; i < b; i++) {
    const a = drawAugment(rng, o);
    augmentSample(
      x.subarray(i * n, (i + 1) * n),
      out.subarray(i * n, (i + 1) * n),
      c,
      h,
      w,
      a,
      o.clamp ?? true,
    );
  }
  return out;
}
