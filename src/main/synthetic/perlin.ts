// 2-D Perlin (gradient) noise and the DRAEM anomaly mask built from it.
//
// DRAEM's rand_perlin_2d_np needs the image size divisible by the lattice resolution; here noise is
// evaluated at continuous lattice coordinates (x·res/width) so any image size works and the
// values agree with DRAEM's wherever DRAEM's is defined. Same √2 scaling as DRAEM, so the 0.5
// threshold selects a similar fraction of the image.

import type { Rng } from '../util/rng';

/** 6t⁵ − 15t⁴ + 10t³: C² continuous, what Perlin's "improved noise" and DRAEM use. */
function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

export interface PerlinField {
  resX: number;
  resY: number;
  /** Gradient angles cosines/sines on the (resY+1)×(resX+1) lattice. */
  gx: Float64Array;
  gy: Float64Array;
}

export function makePerlinField(rng: Rng, resX: number, resY: number): PerlinField {
  const n = (resX + 1) * (resY + 1);
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = 2 * Math.PI * rng.next();
    gx[i] = Math.cos(a);
    gy[i] = Math.sin(a);
  }
  return { resX, resY, gx, gy };
}

/** Noise at lattice coordinates (u ∈ [0, resX], v ∈ [0, resY]), roughly in [−1, 1]. */
export function perlinAt(f: PerlinField, u: number, v: number): number {
  let i = Math.floor(u);
  let j = Math.floor(v);
  if (i >= f.resX) i = f.resX - 1;
  if (j >= f.resY) j = f.resY - 1;
  const x = u - i;
  const y = v - j;
  const stride = f.resX + 1;
  const k00 = j * stride + i;
  const k10 = k00 + 1;
  const k01 = k00 + stride;
  const k11 = k01 + 1;
  const n00 = f.gx[k00] * x + f.gy[k00] * y;
  const n10 = f.gx[k10] * (x - 1) + f.gy[k10] * y;
  const n01 = f.gx[k01] * x + f.gy[k01] * (y - 1);
  const n11 = f.gx[k11] * (x - 1) + f.gy[k11] * (y - 1);
  const tx = fade(x);
  const ty = fade(y);
  const a = n00 + (n10 - n00) * tx;
  const b = n01 + (n11 - n01) * tx;
  return Math.SQRT2 * (a + (b - a) * ty);
}

/**
 * Noise image of width×height rotated by `degrees` about the centre. The rotated field is
 * evaluated directly at the inverse-rotated coordinate (no resampling blur); outside the original
 * frame it is 0, as imgaug's Affine with cval 0 gives.
 */
export function perlinNoise(field: PerlinField, width: number, height: number, degrees = 0): Float32Array {
  const out = new Float32Array(width * height);
  const th = (degrees * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const su = field.resX / width;
  const sv = field.resY / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const fx = cos * dx - sin * dy + cx;
      const fy = sin * dx + cos * dy + cy;
      if (fx < 0 || fy < 0 || fx > width - 1 || fy > height - 1) continue;
      out[y * width + x] = perlinAt(field, fx * su, fy * sv);
    }
  }
  return out;
}

export interface PerlinMaskOptions {
  /** Scale exponents: resolution per axis is 2^k, k uniform in [minScaleExp, maxScaleExp]. DRAEM: 0..5. */
  minScaleExp?: number;
  maxScaleExp?: number;
  /** Rotation uniform in ±maxRotation degrees (DRAEM: 90). */
  maxRotation?: number;
  /** Noise > threshold → anomaly (DRAEM: 0.5). */
  threshold?: number;
}

export interface PerlinMask {
  mask: Uint8Array;
  scaleX: number;
  scaleY: number;
  angle: number;
  /** Fraction of pixels set. */
  fraction: number;
}

export function perlinMask(
  rng: Rng,
  width: number,
  height: number,
  opts: PerlinMaskOptions = {},
): PerlinMask {
  const lo = opts.minScaleExp ?? 0;
  const hi = opts.maxScaleExp ?? 5;
  const maxRot = opts.maxRotation ?? 90;
  const thr = opts.threshold ?? 0.5;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi >= lo && hi <= 12)) {
    throw new RangeError(`scale exponents must be integers with 0 <= min <= max <= 12, got ${lo}..${hi}`);
  }
  // Draw order is fixed (x scale, y scale, angle, lattice) so a seed always means the same mask.
  const scaleX = 2 ** (lo + rng.int(hi - lo + 1));
  const scaleY = 2 ** (lo + rng.int(hi - lo + 1));
  const angle = rng.uniform(-maxRot, maxRot);
  const field = makePerlinField(rng, scaleX, scaleY);
  const noise = perlinNoise(field, width, height, angle);
  const mask = new Uint8Array(width * height);
  let on = 0;
  for (let i = 0; i < mask.length; i++) {
    if (noise[i] > thr) {
      mask[i] = 1;
      on++;
    }
  }
  return { mask, scaleX, scaleY, angle, fraction: on / mask.length };
}
