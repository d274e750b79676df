// DRAEM anomaly simulation (Zavrtanik et al., ICCV 2021; docs/methods.md "DRAEM"):
//   M  = Perlin noise (scale 2^k per axis, k ∈ 0..5), rotated ±90°, > 0.5
//   A  = texture source (another image, or the image itself) through 3 random augmentations
//   β  ~ U(0, 0.8)
//   out = I·(1−M) + (1−β)·A·M + β·I·M
// Used to train DRAEM and to build synthetic defect sets when a line has no real defects yet.
// Everything is drawn from one seeded stream in a fixed order, so (image, source, seed, opts) →
// byte-identical output.

import { randomAugment, type AppliedAugmentation, type AugmentationName } from './augment';
import { perlinMask, type PerlinMaskOptions } from './perlin';
import { checkRgb, resizeBilinear, rotateRgb, type RgbPixels } from './pixels';
import { toRng, type Rng } from '../util/rng';

export interface SynthesizeOptions extends PerlinMaskOptions {
  /** Probability that the sample is returned clean (mask all 0). DRAEM training: 0.5. Default 0. */
  cleanProbability?: number;
  /** β ~ U(0, maxBeta). DRAEM: 0.8. */
  maxBeta?: number;
  /** Augmentations applied to the texture (DRAEM: 3 of the 10). */
  augmentCount?: number;
  augmentPool?: readonly AugmentationName[];
  /**
   * Perlin masks can come out empty (coarse lattice, unlucky gradients). Redraw up to this many
   * times for a non-empty mask; DRAEM does not redraw (1), which makes some "anomalous" samples
   * clean. Default 8. The result's `label` says what was produced.
   */
  maxMaskAttempts?: number;
  /**
   * DRAEM rotates 30 % of training images by up to ±90° before simulating; default 0 here because
   * a rotated base breaks "out equals the input outside the mask" for test sets.
   */
  preRotateProbability?: number;
  preRotateMaxDegrees?: number;
}

export interface SyntheticAnomaly {
  image: { data: Uint8Array; width: number; height: number; channels: 3 };
  /** 0/1 per pixel. */
  mask: Uint8Array;
  /** 1 when the mask is non-empty. */
  label: 0 | 1;
  beta: number;
  augmentations: AppliedAugmentation[];
  /** The augmented texture A (same size as image), empty for clean samples. */
  texture: Uint8Array;
  /** The image I that was blended: the input, or its pre-rotated copy. */
  base: Uint8Array;
  perlin: { scaleX: number; scaleY: number; angle: number; attempts: number } | null;
  preRotation: number | null;
}

/**
 * out[p] = round(I·(1−M) + (1−β)·A·M + β·I·M) per channel; outside the mask it is I byte-for-byte
 * (no float round trip).
 */
export function blendAnomaly(
  base: Uint8Array,
  texture: Uint8Array,
  mask: Uint8Array,
  beta: number,
): Uint8Array {
  const out = base.slice();
  const a = 1 - beta;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] === 0) continue;
    const o = p * 3;
    out[o] = Math.round(a * texture[o] + beta * base[o]);
    out[o + 1] = Math.round(a * texture[o + 1] + beta * base[o + 1]);
    out[o + 2] = Math.round(a * texture[o + 2] + beta * base[o + 2]);
  }
  return out;
}

export function synthesizeAnomaly(
  image: RgbPixels,
  source: RgbPixels | null,
  rngOrSeed: Rng | number,
  opts: SynthesizeOptions = {},
): SyntheticAnomaly {
  checkRgb(image, 'image');
  if (source) checkRgb(source, 'texture source');
  const rng = toRng(rngOrSeed);
  const { width, height } = image;
  const cleanP = opts.cleanProbability ?? 0;
  const maxBeta = opts.maxBeta ?? 0.8;
  const attemptsMax = Math.max(1, opts.maxMaskAttempts ?? 8);
  if (!(cleanP >= 0 && cleanP <= 1))
    throw new RangeError(`cleanProbability must be in [0, 1], got ${cleanP}`);
  if (!(maxBeta >= 0 && maxBeta <= 1)) throw new RangeError(`maxBeta must be in [0, 1], got ${maxBeta}`);

  // Fixed draw order: pre-rotation, clean coin, augmentations, mask, β.
  let base = image.data;
  let preRotation: number | null = null;
  if ((opts.preRotateProbability ?? 0) > 0 && rng.next() < (opts.preRotateProbability ?? 0)) {
    const m = opts.preRotateMaxDegrees ?? 90;
    preRotation = rng.uniform(-m, m);
    base = rotateRgb(image, preRotation);
  }
  if (cleanP > 0 && rng.next() < cleanP) {
    return {
      image: { data: base.slice(), width, height, channels: 3 },
      mask: new Uint8Array(width * height),
      label: 0,
      beta: 0,
      augmentations: [],
      texture: new Uint8Array(0),
      base,
      perlin: null,
      preRotation,
    };
  }

  const src = source ?? { data: base, width, height };
  const texIn = { data: resizeBilinear(src, width, height), width, height };
  const aug = randomAugment(texIn, rng, opts.augmentCount ?? 3, opts.augmentPool);

  let pm = perlinMask(rng, width, height, opts);
  let attempts = 1;
  while (pm.fraction === 0 && attempts < attemptsMax) {
    pm = perlinMask(rng, width, height, opts);
    attempts++;
  }
  const beta = rng.uniform(0, maxBeta);
  const out = blendAnomaly(base, aug.data, pm.mask, beta);
  return {
    image: { data: out, width, height, channels: 3 },
    mask: pm.mask,
    label: pm.fraction > 0 ? 1 : 0,
    beta,
    augmentations: aug.applied,
    texture: aug.data,
    base,
    perlin: { scaleX: pm.scaleX, scaleY: pm.scaleY, angle: pm.angle, attempts },
    preRotation,
  };
}
