// Texture sources for anomaly simulation without a downloaded texture set. DRAEM pastes crops of
// DTD (Describable Textures Dataset) into good images; DTD cannot be fetched on an offline station,
// so these procedural families stand in for it: fractal noise colour fields, stripes, grids,
// scratches, blotches, and crops of other good images under heavy augmentation. A user folder of
// texture images (decoded elsewhere, passed as pixels) is mixed in when given. The recipe's three
// random augmentations are applied afterwards by synthesizeAnomaly, exactly as to a DTD image.
import { randomAugment } from './augment';
import { makePerlinField, perlinNoise } from './perlin';
import { resizeBilinear, type RgbPixels } from './pixels';
import { type Rng } from '../util/rng';

export const TEXTURE_KINDS = ['fractal', 'stripes', 'grid', 'scratches', 'blotches', 'crop', 'user'] as const;
export type TextureKind = (typeof TEXTURE_KINDS)[number];

type Rgb = [number, number, number];

const randomColour = (rng: Rng): Rgb => [rng.int(256), rng.int(256), rng.int(256)];

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Sum of Perlin octaves (lattice 2^k·base), normalised to about [−1, 1]. */
export function fractalNoise(
  rng: Rng,
  width: number,
  height: number,
  o: { baseScale?: number; octaves?: number; persistence?: number } = {},
): Float32Array {
  const base = o.baseScale ?? 2;
  const octaves = o.octaves ?? 4;
  const pers = o.persistence ?? 0.5;
  const out = new Float32Array(width * height);
  let amp = 1;
  let total = 0;
  for (let k = 0; k < octaves; k++) {
    const res = base * 2 ** k;
    const n = perlinNoise(makePerlinField(rng, res, res), width, height);
    for (let i = 0; i < out.length; i++) out[i] += amp * n[i];
    total += amp;
    amp *= pers;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Three independent fractal fields mapped between two random colours, per channel. */
function fractalTexture(rng: Rng, w: number, h: number): Uint8Array {
  const a = randomColour(rng);
  const b = randomColour(rng);
  const octaves = 2 + rng.int(4);
  const baseScale = 2 ** (1 + rng.int(4));
  const shared = fractalNoise(rng, w, h, { baseScale, octaves });
  const detail = fractalNoise(rng, w, h, { baseScale: baseScale * 2, octaves: 2 });
  const out = new Uint8Array(w * h * 3);
  const contrast = rng.uniform(1, 3);
  for (let i = 0; i < w * h; i++) {
    const t = Math.min(1, Math.max(0, 0.5 + 0.5 * contrast * shared[i]));
    const d = 40 * detail[i];
    for (let c = 0; c < 3; c++) out[i * 3 + c] = clampByte(a[c] + (b[c] - a[c]) * t + d);
  }
  return out;
}

/** Periodic pattern along a rotated axis: sinusoidal or hard stripes, optionally crossed (grid). */
function periodicTexture(rng: Rng, w: number, h: number, grid: boolean): Uint8Array {
  const fg = randomColour(rng);
  const bg = randomColour(rng);
  const th = rng.uniform(0, Math.PI);
  const period = rng.uniform(3, Math.max(4, Math.min(w, h) / 3));
  const duty = rng.uniform(0.15, 0.6);
  const hard = rng.next() < 0.6;
  const period2 = grid ? rng.uniform(3, Math.max(4, Math.min(w, h) / 3)) : 0;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const jitter = fractalNoise(rng, w, h, { baseScale: 4, octaves: 2 });
  const out = new Uint8Array(w * h * 3);
  const on = (phase: number) =>
    hard ? (phase - Math.floor(phase) < duty ? 1 : 0) : 0.5 + 0.5 * Math.sin(2 * Math.PI * phase);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = x * cos + y * sin + 3 * jitter[i];
      let t = on(u / period);
      if (grid) t = Math.max(t, on((-x * sin + y * cos) / period2));
      for (let c = 0; c < 3; c++) out[i * 3 + c] = clampByte(bg[c] + (fg[c] - bg[c]) * t);
    }
  }
  return out;
}

/** Anti-aliased-free disk stamp (pixel centres within r), colour blended with alpha. */
function stamp(
  out: Uint8Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
  col: Rgb,
  alpha: number,
): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(w - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(h - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r2) continue;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = clampByte(out[o + c] * (1 - alpha) + col[c] * alpha);
    }
  }
}

function fill(w: number, h: number, col: Rgb, rng: Rng, noise: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const n = fractalNoise(rng, w, h, { baseScale: 4, octaves: 3 });
  for (let i = 0; i < w * h; i++)
    for (let c = 0; c < 3; c++) out[i * 3 + c] = clampByte(col[c] + noise * n[i]);
  return out;
}

/** Random-walk strokes of varying width over a noisy background: scratches, cracks, hairs. */
function scratchTexture(rng: Rng, w: number, h: number): Uint8Array {
  const out = fill(w, h, randomColour(rng), rng, 60);
  const strokes = 3 + rng.int(12);
  const size = Math.min(w, h);
  for (let s = 0; s < strokes; s++) {
    const col = randomColour(rng);
    let x = rng.uniform(0, w);
    let y = rng.uniform(0, h);
    let dir = rng.uniform(0, 2 * Math.PI);
    const len = rng.uniform(0.3, 1.5) * size;
    const r = rng.uniform(0.5, Math.max(1, size / 40));
    const curl = rng.uniform(0, 0.3);
    const alpha = rng.uniform(0.6, 1);
    for (let t = 0; t < len; t += Math.max(0.5, r / 2)) {
      stamp(out, w, h, x, y, r, col, alpha);
      dir += rng.uniform(-curl, curl);
      x += Math.cos(dir) * Math.max(0.5, r / 2);
      y += Math.sin(dir) * Math.max(0.5, r / 2);
    }
  }
  return out;
}

/** Overlapping soft-edged spots of random size and colour: stains, pits, spatter. */
function blotchTexture(rng: Rng, w: number, h: number): Uint8Array {
  const out = fill(w, h, randomColour(rng), rng, 40);
  const size = Math.min(w, h);
  const count = 5 + rng.int(40);
  for (let i = 0; i < count; i++) {
    const col = randomColour(rng);
    const r = rng.uniform(size / 60, size / 6);
    const cx = rng.uniform(0, w);
    const cy = rng.uniform(0, h);
    // Concentric stamps with falling alpha give a soft edge without per-pixel allocations.
    for (let k = 3; k >= 1; k--) stamp(out, w, h, cx, cy, (r * k) / 3, col, 0.35);
  }
  return out;
}

/** A random crop (10–50 % of the side) of another good image, upscaled and augmented twice. */
function cropTexture(rng: Rng, w: number, h: number, pool: readonly RgbPixels[]): Uint8Array {
  const src = pool[rng.int(pool.length)];
  const f = rng.uniform(0.1, 0.5);
  const cw = Math.max(2, Math.round(src.width * f));
  const ch = Math.max(2, Math.round(src.height * f));
  const x0 = rng.int(src.width - cw + 1);
  const y0 = rng.int(src.height - ch + 1);
  const crop = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++)
    crop.set(
      src.data.subarray(((y0 + y) * src.width + x0) * 3, ((y0 + y) * src.width + x0 + cw) * 3),
      y * cw * 3,
    );
  const up = resizeBilinear({ data: crop, width: cw, height: ch }, w, h);
  // Heavy: the recipe's three augmentations come later; these two make a crop of the same part
  // look unlike that part (otherwise the discriminator is taught that good texture is anomalous).
  return randomAugment({ data: up, width: w, height: h }, rng, 2, [
    'hue_saturation',
    'invert',
    'solarize',
    'posterize',
    'gamma',
  ]).data;
}

export interface TextureSourceOptions {
  /** Good images whose crops may serve as texture (DRAEM's own images are not used, as in the paper). */
  cropPool?: readonly RgbPixels[];
  /** Decoded user texture images; when given, `userWeight` of the draws come from them. */
  userTextures?: readonly RgbPixels[];
  /** Share of draws from userTextures (default 0.5 when there are any). */
  userWeight?: number;
  /** Procedural kinds to draw from (default: all that are possible). */
  kinds?: readonly TextureKind[];
}

export interface TextureSample extends RgbPixels {
  kind: TextureKind;
}

/** Draws a width×height texture; everything comes from `rng` in a fixed order. */
export function drawTexture(
  rng: Rng,
  width: number,
  height: number,
  o: TextureSourceOptions = {},
): TextureSample {
  const users = o.userTextures ?? [];
  if (users.length > 0 && rng.next() < (o.userWeight ?? 0.5)) {
    const u = users[rng.int(users.length)];
    return { kind: 'user', data: resizeBilinear(u, width, height), width, height };
  }
  const kinds = (o.kinds ?? TEXTURE_KINDS).filter(
    (k) => k !== 'user' && (k !== 'crop' || (o.cropPool?.length ?? 0) > 0),
  );
  if (kinds.length === 0) throw new Error('no texture kind is available (crop needs a crop pool)');
  const kind = kinds[rng.int(kinds.length)];
  let data: Uint8Array;
  switch (kind) {
    case 'fractal':
      data = fractalTexture(rng, width, height);
      break;
    case 'stripes':
      data = periodicTexture(rng, width, height, false);
      break;
    case 'grid':
      data = periodicTexture(rng, width, height, true);
      break;
    case 'scratches':
      data = scratchTexture(rng, width, height);
      break;
    case 'blotches':
      data = blotchTexture(rng, width, height);
      break;
    default:
      data = cropTexture(rng, width, height, o.cropPool!);
  }
  return { kind, data, width, height };
}
