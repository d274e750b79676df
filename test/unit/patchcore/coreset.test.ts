import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  coveringRadius,
  greedyCoreset,
  quantizePoints,
  type CoresetStats,
} from '../../../src/main/methods/patchcore/coreset';
import { createRng, sampleWithoutReplacement } from '../../../src/main/util/rng';

/** Gaussian blobs of different spreads plus a few outliers: shaped like patch features. */
function blobs(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const centres = Array.from({ length: 12 }, () => Array.from({ length: dim }, () => rng.normal() * 4));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(centres.length)];
    const spread = i % 97 === 0 ? 6 : 0.5 + (i % 3) * 0.5;
    for (let d = 0; d < dim; d++) out[i * dim + d] = c[d] + rng.normal() * spread;
  }
  return out;
}

/** Textbook greedy k-center in float64 from a given first centre. */
function floatGreedy(pts: Float32Array, dim: number, k: number, first: number): number[] {
  const n = pts.length / dim;
  const m = new Float64Array(n).fill(Infinity);
  const sel: number[] = [];
  let c = first;
  for (let it = 0; it < k; it++) {
    sel.push(c);
    let best = 0;
    for (let p = 0; p < n; p++) {
      let d = 0;
      for (let a = 0; a < dim; a++) d += (pts[p * dim + a] - pts[c * dim + a]) ** 2;
      if (d < m[p]) m[p] = d;
      if (m[p] > m[best]) best = p;
    }
    c = best;
  }
  return sel;
}

describe('greedy k-center coreset', () => {
  const dim = 16;
  const pts = blobs(3000, dim, 7);

  it('is deterministic for a seed and depends on it', async () => {
    const a = await greedyCoreset(pts, dim, 60, { seed: 3 });
    const b = await greedyCoreset(pts, dim, 60, { seed: 3 });
    const c = await greedyCoreset(pts, dim, 60, { seed: 4 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(new Set(a).size).toBe(60);
  });

  it('selects exactly what the plain (one pick per pass) greedy loop selects', async () => {
    const plain = await greedyCoreset(pts, dim, 300, { seed: 11, prune: false });
    // Default blocks (every candidate set holds all 3000 points: one block until the end) and
    // small ones (candidate sets of 64, many GEMM passes, θ decides every block's end).
    const whole = await greedyCoreset(pts, dim, 300, { seed: 11 });
    expect(Array.from(whole)).toEqual(Array.from(plain));
    const small = async (gemm?: 'int8' | 'float32'): Promise<{ picks: number[]; stats: CoresetStats }> => {
      const stats: CoresetStats = { passes: 0, gemmSeconds: 0, pickSeconds: 0, quantizedBytes: 0 };
      const picks = await greedyCoreset(pts, dim, 300, {
        seed: 11,
        candidates: 64,
        maxBlock: 16,
        stats,
        gemm,
      });
      return { picks: Array.from(picks), stats };
    };
    const float = await small('float32');
    expect(float.stats.gemm).toBe('float32');
    expect(float.picks).toEqual(Array.from(plain));
    expect(float.stats.passes).toBeGreaterThan(300 / 16);
    // int8 (MatMulInteger) is used only where a probe shows it exact: CPUs whose u8·s8 kernels
    // saturate 16-bit pair sums (AVX2 without VNNI) refuse it, and the default falls back to float32.
    const chosen = await small();
    let int8: Awaited<ReturnType<typeof small>> | null = null;
    try {
      int8 = await small('int8');
    } catch (e) {
      expect((e as Error).message).toMatch(/no exact int8 GEMM on this CPU/);
      expect(chosen.stats.gemm).toBe('float32');
    }
    if (int8) {
      expect(int8.stats.gemm).toBe('int8');
      expect(int8.picks).toEqual(Array.from(plain));
      expect(chosen.stats.gemm).toBe('int8');
    }
    expect(chosen.picks).toEqual(Array.from(plain));
  });

  it('on the int8 grid covers the float data about as well as the float greedy', async () => {
    // Float greedy without start-point approximation differences: same seed, same rule, float distances.
    const k = 120;
    const sel = await greedyCoreset(pts, dim, k, { seed: 2 });
    const float = floatGreedy(pts, dim, k, sel[0]);
    expect(coveringRadius(pts, dim, sel)).toBeLessThanOrEqual(coveringRadius(pts, dim, float) * 1.05);
  });

  it('puts the points on an int8 grid whose squared distances are exact integers', () => {
    const g = quantizePoints(pts, dim);
    expect(g.q.length).toBe(pts.length);
    let maxAbs = 0;
    for (const v of g.q) maxAbs = Math.max(maxAbs, Math.abs(v - 128));
    expect(maxAbs).toBe(127);
    for (let p = 0; p < 5; p++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += (g.q[p * dim + a] - 128) ** 2;
      expect(g.sq[p]).toBe(s);
    }
  });

  it('starts at the point farthest (mean distance) from the random start points, which are not selected', async () => {
    const sel = await greedyCoreset(pts, dim, 1, { seed: 5, startPoints: 10 });
    const starts = sampleWithoutReplacement(createRng(5), 3000, 10);
    const g = quantizePoints(pts, dim).q;
    const meanDist = (p: number): number =>
      starts.reduce((s, q) => {
        let d = 0;
        for (let k = 0; k < dim; k++) d += (g[p * dim + k] - g[q * dim + k]) ** 2;
        return s + Math.sqrt(d);
      }, 0) / starts.length;
    let best = 0;
    for (let p = 1; p < 3000; p++) if (meanDist(p) > meanDist(best)) best = p;
    expect(sel[0]).toBe(best);
  });

  it('covers the data no worse than random subsets of the same size', async () => {
    const k = 80;
    const greedy = coveringRadius(pts, dim, await greedyCoreset(pts, dim, k, { seed: 1 }));
    const rng = createRng(99);
    for (let t = 0; t < 5; t++) {
      const random = coveringRadius(pts, dim, sampleWithoutReplacement(rng, 3000, k));
      expect(greedy).toBeLessThanOrEqual(random);
    }
  });

  it('reports progress and stops when cancelled', async () => {
    const seen: number[] = [];
    let polls = 0;
    await expect(
      greedyCoreset(pts, dim, 500, {
        seed: 1,
        onProgress: (d) => seen.push(d),
        shouldCancel: () => ++polls > 3,
      }),
    ).rejects.toThrow(CancelledError);
    expect(seen.length).toBe(3);
    const done: number[] = [];
    await greedyCoreset(pts, dim, 50, {
      seed: 1,
      onProgress: (d, total) => (expect(total).toBe(50), done.push(d)),
    });
    expect(done.at(-1)).toBe(50);
  });

  it('handles more requested points than exist and duplicate points', async () => {
    const dup = new Float32Array(20 * 2).fill(1);
    dup[0] = 5;
    const sel = await greedyCoreset(dup, 2, 30, { seed: 0 });
    expect(sel.length).toBe(20);
    expect(sel[0]).toBe(0);
    expect(new Set(sel).size).toBe(20);
  });
});
