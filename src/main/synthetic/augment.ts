// The ten texture augmentations of DRAEM (imgaug in the authors' code), on interleaved RGB
// Uint8Arrays. Parameter ranges follow DRAEM's augmenter list:
//   GammaContrast((0.5, 2.0), per_channel) · MultiplyAndAddToBrightness(mul 0.8–1.2, add −30–30)
//   · pillike.EnhanceSharpness (factor 0–2) · AddToHueAndSaturation((−50, 50), per_channel)
//   · Solarize(threshold 32–128) · Posterize (1–7 bits) · Invert · pillike.Autocontrast (cutoff
//   0–20 %) · pillike.Equalize · Affine(rotate ±45°).
// Deviations, deliberate: Solarize always applies when chosen (imgaug's p=0.5 would make a third of
// the chosen augmentations silent no-ops while still being reported); Posterize draws 1–7 bits
// (8 bits is the identity). Each function draws its parameters from the rng in a fixed order.

import { rotateRgb, type RgbPixels } from './pixels';
import type { Rng } from '../util/rng';

export const AUGMENTATION_NAMES = [
  'gamma',
  'brightness',
  'sharpness',
  'hue_saturation',
  'solarize',
  'posterize',
  'invert',
  'autocontrast',
  'equalize',
  'rotate',
] as const;
export type AugmentationName = (typeof AUGMENTATION_NAMES)[number];

export interface AppliedAugmentation {
  name: AugmentationName;
  /** Drawn parameters, for logs and reproducibility checks. */
  params: Record<string, number | number[]>;
}

type Aug = (img: RgbPixels, rng: Rng) => { data: Uint8Array; params: Record<string, number | number[]> };

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function applyLuts(src: Uint8Array, luts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = luts[0][src[i]];
    out[i + 1] = luts[1][src[i + 1]];
    out[i + 2] = luts[2][src[i + 2]];
  }
  return out;
}

function lut(f: (v: number) => number): Uint8Array {
  const l = new Uint8Array(256);
  for (let v = 0; v < 256; v++) l[v] = clamp255(f(v));
  return l;
}

const gamma: Aug = (img, rng) => {
  const g = [rng.uniform(0.5, 2), rng.uniform(0.5, 2), rng.uniform(0.5, 2)];
  return {
    data: applyLuts(
      img.data,
      g.map((e) => lut((v) => 255 * (v / 255) ** e)),
    ),
    params: { gamma: g },
  };
};

/** Multiply-and-add on luma (BT.601 YCbCr), chroma untouched. */
const brightness: Aug = (img, rng) => {
  const mul = rng.uniform(0.8, 1.2);
  const add = rng.uniform(-30, 30);
  const s = img.data;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 3) {
    const r = s[i];
    const g = s[i + 1];
    const b = s[i + 2];
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    const cb = -0.168736 * r - 0.331264 * g + 0.5 * b;
    const cr = 0.5 * r - 0.418688 * g - 0.081312 * b;
    const y2 = Math.min(255, Math.max(0, y * mul + add));
    out[i] = clamp255(y2 + 1.402 * cr);
    out[i + 1] = clamp255(y2 - 0.344136 * cb - 0.714136 * cr);
    out[i + 2] = clamp255(y2 + 1.772 * cb);
  }
  return { data: out, params: { mul, add } };
};

/** PIL ImageEnhance.Sharpness: blend with PIL's SMOOTH kernel; the 1-px border is left as is. */
const sharpness: Aug = (img, rng) => {
  const factor = rng.uniform(0, 2);
  const { data: s, width: w, height: h } = img;
  const out = s.slice();
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) acc += s[((y + dy) * w + x + dx) * 3 + c];
        }
        const o = (y * w + x) * 3 + c;
        // Kernel [[1,1,1],[1,5,1],[1,1,1]]/13: the 3×3 sum plus 4× the centre.
        const smooth = Math.round((acc + 4 * s[o]) / 13);
        out[o] = clamp255(smooth + factor * (s[o] - smooth));
      }
    }
  }
  return { data: out, params: { factor } };
};

/** Adds to hue (imgaug units: ±255 ↔ ±180°) and saturation (0–255 scale), via HSV. */
const hueSaturation: Aug = (img, rng) => {
  const dh = rng.uniform(-50, 50);
  const ds = rng.uniform(-50, 50);
  const hueShift = (dh * 180) / 255 / 360; // in turns
  const s = img.data;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 3) {
    const r = s[i] / 255;
    const g = s[i + 1] / 255;
    const b = s[i + 2] / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const d = max - min;
    let hue = 0;
    if (d > 0) {
      if (max === r) hue = (g - b) / d / 6;
      else if (max === g) hue = ((b - r) / d + 2) / 6;
      else hue = ((r - g) / d + 4) / 6;
    }
    let sat = max > 0 ? d / max : 0;
    hue = hue + hueShift;
    hue -= Math.floor(hue);
    sat = Math.min(1, Math.max(0, sat + ds / 255));
    // HSV → RGB
    const h6 = hue * 6;
    const k = Math.floor(h6) % 6;
    const f = h6 - Math.floor(h6);
    const v = max;
    const p = v * (1 - sat);
    const q = v * (1 - f * sat);
    const t = v * (1 - (1 - f) * sat);
    const rgb =
      k === 0
        ? [v, t, p]
        : k === 1
          ? [q, v, p]
          : k === 2
            ? [p, v, t]
            : k === 3
              ? [p, q, v]
              : k === 4
                ? [t, p, v]
                : [v, p, q];
    out[i] = clamp255(rgb[0] * 255);
    out[i + 1] = clamp255(rgb[1] * 255);
    out[i + 2] = clamp255(rgb[2] * 255);
  }
  return { data: out, params: { hue: dh, saturation: ds } };
};

const solarize: Aug = (img, rng) => {
  const threshold = Math.round(rng.uniform(32, 128));
  const l = lut((v) => (v >= threshold ? 255 - v : v));
  return { data: applyLuts(img.data, [l, l, l]), params: { threshold } };
};

const posterize: Aug = (img, rng) => {
  const bits = 1 + rng.int(7);
  const keep = (0xff << (8 - bits)) & 0xff;
  const l = lut((v) => v & keep);
  return { data: applyLuts(img.data, [l, l, l]), params: { bits } };
};

const invert: Aug = (img) => {
  const l = lut((v) => 255 - v);
  return { data: applyLuts(img.data, [l, l, l]), params: {} };
};

function channelHistograms(s: Uint8Array): Float64Array[] {
  const h = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  for (let i = 0; i < s.length; i += 3) {
    h[0][s[i]]++;
    h[1][s[i + 1]]++;
    h[2][s[i + 2]]++;
  }
  return h;
}

/** PIL ImageOps.autocontrast per channel with `cutoff` % clipped at each end. */
const autocontrast: Aug = (img, rng) => {
  const cutoff = rng.uniform(0, 20);
  const luts = channelHistograms(img.data).map((hist) => {
    const n = hist.reduce((a, b) => a + b, 0);
    const h = hist.slice();
    let cut = (n * cutoff) / 100;
    for (let lo = 0; lo < 256 && cut > 0; lo++) {
      const take = Math.min(cut, h[lo]);
      h[lo] -= take;
      cut -= take;
    }
    cut = (n * cutoff) / 100;
    for (let hi = 255; hi >= 0 && cut > 0; hi--) {
      const take = Math.min(cut, h[hi]);
      h[hi] -= take;
      cut -= take;
    }
    let lo = 0;
    while (lo < 256 && h[lo] <= 0) lo++;
    let hi = 255;
    while (hi >= 0 && h[hi] <= 0) hi--;
    if (hi <= lo) return lut((v) => v);
    const scale = 255 / (hi - lo);
    return lut((v) => Math.trunc((v - lo) * scale));
  });
  return { data: applyLuts(img.data, luts), params: { cutoff } };
};

/** PIL ImageOps.equalize per channel (same step/rounding rule). */
const equalize: Aug = (img) => {
  const luts = channelHistograms(img.data).map((h) => {
    let last = 255;
    while (last > 0 && h[last] === 0) last--;
    let total = 0;
    for (let v = 0; v < 256; v++) total += h[v];
    const step = Math.floor((total - h[last]) / 255);
    const l = new Uint8Array(256);
    if (step === 0) {
      for (let v = 0; v < 256; v++) l[v] = v;
      return l;
    }
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      l[v] = Math.min(255, Math.floor(n / step));
      n += h[v];
    }
    return l;
  });
  return { data: applyLuts(img.data, luts), params: {} };
};

const rotate: Aug = (img, rng) => {
  const degrees = rng.uniform(-45, 45);
  return { data: rotateRgb(img, degrees), params: { degrees } };
};

const AUGS: Record<AugmentationName, Aug> = {
  gamma,
  brightness,
  sharpness,
  hue_saturation: hueSaturation,
  solarize,
  posterize,
  invert,
  autocontrast,
  equalize,
  rotate,
};

export function applyAugmentation(
  name: AugmentationName,
  img: RgbPixels,
  rng: Rng,
): { data: Uint8Array; applied: AppliedAugmentation } {
  const r = AUGS[name](img, rng);
  return { data: r.data, applied: { name, params: r.params } };
}

/**
 * DRAEM's randAugmenter: `count` distinct augmentations from `pool`, applied in draw order.
 */
export function randomAugment(
  img: RgbPixels,
  rng: Rng,
  count = 3,
  pool: readonly AugmentationName[] = AUGMENTATION_NAMES,
): { data: Uint8Array; applied: AppliedAugmentation[] } {
  if (count > pool.length)
    throw new RangeError(`cannot choose ${count} distinct augmentations from ${pool.length}`);
  const picks = rng.choose(pool.length, count).map((i) => pool[i]);
  let cur: RgbPixels = img;
  const applied: AppliedAugmentation[] = [];
  for (const name of picks) {
    const r = applyAugmentation(name, cur, rng);
    cur = { data: r.data, width: img.width, height: img.height };
    applied.push(r.applied);
  }
  return { data: cur === img ? img.data.slice() : cur.data, applied };
}
