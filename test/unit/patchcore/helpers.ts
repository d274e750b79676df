// Test fixtures: a tiny seeded conv backbone with a stride-8 and a stride-16 tap, and a naive
// float64 reference of the whole PatchCore scoring recipe written independently of src (2-D
// blur kernel, per-pixel bilinear, exhaustive NN) so the two implementations can disagree.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildTinyBackbone } from '../../helpers/tiny-backbone';
import { createRng } from '../../../src/main/util/rng';
import type { BackboneSource } from '../../../src/main/methods/types';

export const TINY_SIZE = 32;

/** 32 px input → tap "t8" 6 ch @ 4×4 (stride 8), tap "t16" 5 ch @ 2×2 (stride 16). */
export function tinyBackbone(seed = 1): BackboneSource {
  return buildTinyBackbone({
    graphName: 'tiny',
    seed,
    size: TINY_SIZE,
    channels: [8, 8, 6, 5],
    biasStd: 0.1,
  });
}

/** Writes `count` seeded PNGs (smooth texture; `defect` adds a bright square) and returns their paths. */
export async function writeImages(
  dir: string,
  count: number,
  seed: number,
  defect = false,
  size = 40,
): Promise<string[]> {
  const rng = createRng(seed);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(size * size * 3);
    const phase = rng.next() * 6.28;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = 128 + 60 * Math.sin(x * 0.5 + phase) * Math.cos(y * 0.3) + rng.normal() * 8;
        for (let c = 0; c < 3; c++)
          px[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + c * 5)));
      }
    }
    if (defect) {
      const x0 = 4 + rng.int(size - 14);
      const y0 = 4 + rng.int(size - 14);
      for (let y = y0; y < y0 + 8; y++)
        for (let x = x0; x < x0 + 8; x++)
          for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = c === 0 ? 255 : 0;
    }
    const p = join(dir, `${defect ? 'bad' : 'good'}_${seed}_${i}.png`);
    writeFileSync(
      p,
      await sharp(Buffer.from(px), { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toBuffer(),
    );
    paths.push(p);
  }
  return paths;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

// ---------------- naive reference (float64) ----------------

/** x: [C, H, W]; 3×3 mean with zeros outside, always divided by 9 (count_include_pad). */
export function refAvgPool(x: Float64Array, c: number, h: number, w: number): Float64Array {
  const out = new Float64Array(c * h * w);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xq = xx + dx;
            if (yy >= 0 && yy < h && xq >= 0 && xq < w) s += x[(ch * h + yy) * w + xq];
          }
        out[(ch * h + y) * w + xx] = s / 9;
      }
  return out;
}

/** One plane, bilinear with align_corners=False semantics written per output pixel. */
export function refBilinear(
  src: ArrayLike<number>,
  h: number,
  w: number,
  oh: number,
  ow: number,
): Float64Array {
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++) {
      let sy = ((y + 0.5) * h) / oh - 0.5;
      let sx = ((x + 0.5) * w) / ow - 0.5;
      sy = Math.min(Math.max(sy, 0), h - 1);
      sx = Math.min(Math.max(sx, 0), w - 1);
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const y1 = Math.min(y0 + 1, h - 1);
      const x1 = Math.min(x0 + 1, w - 1);
      const ay = sy - y0;
      const ax = sx - x0;
      out[y * ow + x] =
        (1 - ay) * ((1 - ax) * src[y0 * w + x0] + ax * src[y0 * w + x1]) +
        ay * ((1 - ax) * src[y1 * w + x0] + ax * src[y1 * w + x1]);
    }
  return out;
}

/** Full 2-D Gaussian (σ, 2·int(4σ+0.5)+1 taps) with reflect padding. */
export function refGaussianBlur(img: Float64Array, h: number, w: number, sigma: number): Float64Array {
  const r = Math.floor(4 * sigma + 0.5);
  const k1: number[] = [];
  for (let i = -r; i <= r; i++) k1.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = k1.reduce((a, b) => a + b, 0);
  const refl = (i: number, n: number): number => {
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
  };
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++)
          s += k1[dy + r] * k1[dx + r] * img[refl(y + dy, h) * w + refl(x + dx, w)];
      out[y * w + x] = s / (sum * sum);
    }
  return out;
}

export interface RefResult {
  score: number;
  patch: Float64Array;
  map: Float64Array;
}

/**
 * The whole recipe for one image from its raw tap maps.
 * t8: [C1, h, w], t16: [C2, h2, w2]; projection: optional [C1+C2, d] row-major; bank: [M, d].
 */
export function refScore(
  t8: ArrayLike<number>,
  c1: number,
  t16: ArrayLike<number>,
  c2: number,
  h: number,
  h2: number,
  projection: Float32Array | null,
  bank: Float32Array,
  numNeighbors: number,
  inputSize: number,
  sigma: number,
): RefResult {
  const a8 = refAvgPool(Float64Array.from(t8), c1, h, h);
  const a16 = refAvgPool(Float64Array.from(t16), c2, h2, h2);
  const raw = c1 + c2;
  const hw = h * h;
  const feats: Float64Array[] = [];
  const up: Float64Array[] = [];
  for (let c = 0; c < c2; c++)
    up.push(refBilinear(a16.subarray(c * h2 * h2, (c + 1) * h2 * h2), h2, h2, h, h));
  for (let p = 0; p < hw; p++) {
    const v = new Float64Array(raw);
    for (let c = 0; c < c1; c++) v[c] = a8[c * hw + p];
    for (let c = 0; c < c2; c++) v[c1 + c] = up[c][p];
    if (projection) {
      const d = projection.length / raw;
      const pv = new Float64Array(d);
      for (let j = 0; j < d; j++) for (let i = 0; i < raw; i++) pv[j] += v[i] * projection[i * d + j];
      feats.push(pv);
    } else feats.push(v);
  }
  const dim = feats[0].length;
  const m = bank.length / dim;
  const dist = (a: ArrayLike<number>, bi: number): number => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (a[t] - bank[bi * dim + t]) ** 2;
    return Math.sqrt(s);
  };
  const patch = new Float64Array(hw);
  const nnIdx = new Int32Array(hw);
  for (let p = 0; p < hw; p++) {
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      const d = dist(feats[p], j);
      if (d < best) {
        best = d;
        nnIdx[p] = j;
      }
    }
    patch[p] = best;
  }
  let worst = 0;
  for (let p = 1; p < hw; p++) if (patch[p] > patch[worst]) worst = p;
  let score = patch[worst];
  const k = Math.min(numNeighbors, m);
  if (k > 1) {
    const mStar = nnIdx[worst];
    const mv = bank.subarray(mStar * dim, (mStar + 1) * dim);
    const order = Array.from({ length: m }, (_, j) => j).sort((a, b) =>
      a === mStar ? -1 : b === mStar ? 1 : dist(mv, a) - dist(mv, b),
    );
    const d = order.slice(0, k).map((j) => dist(feats[worst], j));
    const ex = d.map((v) => Math.exp(v));
    score *= 1 - ex[0] / ex.reduce((a, b) => a + b, 0);
  }
  const map = refGaussianBlur(refBilinear(patch, h, h, inputSize, inputSize), inputSize, inputSize, sigma);
  return { score, patch, map };
}
