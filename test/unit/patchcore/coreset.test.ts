import { describe, expect, it } from 'vitest';
import { CancelledError, coveringRadius, greedyCoreset } from '../../../src/main/methods/patchcore/coreset';
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

describe('greedy k-center coreset', () => {
  const dim = 16;
  const pts = blobs(3000, dim, 7);

  it('is deterministic for a seed and depends on it', () => {
    const a = greedyCoreset(pts, dim, 60, { seed: 3 });
    const b = greedyCoreset(pts, dim, 60, { seed: 3 });
    const c = greedyCoreset(pts, dim, 60, { seed: 4 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(new Set(a).size).toBe(60);
  });

  it('selects exactly what the plain (unpruned) greedy loop selects', () => {
    const pruned = greedyCoreset(pts, dim, 150, { seed: 11 });
    const plain = greedyCoreset(pts, dim, 150, { seed: 11, prune: false });
    expect(Array.from(pruned)).toEqual(Array.from(plain));
  });

  it('starts at the point farthest (mean distance) from the random start points, which are not selected', () => {
    const sel = greedyCoreset(pts, dim, 1, { seed: 5, startPoints: 10 });
    const starts = sampleWithoutReplacement(createRng(5), 3000, 10);
    const meanDist = (p: number): number =>
      starts.reduce((s, q) => {
        let d = 0;
        for (let k = 0; k < dim; k++) d += (pts[p * dim + k] - pts[q * dim + k]) ** 2;
        return s + Math.sqrt(d);
      }, 0) / starts.length;
    let best = 0;
    for (let p = 1; p < 3000; p++) if (meanDist(p) > meanDist(best)) best = p;
    expect(sel[0]).toBe(best);
  });

  it('covers the data no worse than random subsets of the same size', () => {
    const k = 80;
    const greedy = coveringRadius(pts, dim, greedyCoreset(pts, dim, k, { seed: 1 }));
    const rng = createRng(99);
    for (let t = 0; t < 5; t++) {
      const random = coveringRadius(pts, dim, sampleWithoutReplacement(rng, 3000, k));
      expect(greedy).toBeLessThanOrEqual(random);
    }
  });

  it('reports progress and stops when cancelled', () => {
    const seen: number[] = [];
    let polls = 0;
    expect(() =>
      greedyCoreset(pts, dim, 500, {
        seed: 1,
        onProgress: (d) => seen.push(d),
        shouldCancel: () => ++polls > 3,
      }),
    ).toThrow(CancelledError);
    expect(seen.length).toBe(3);
    const done: number[] = [];
    greedyCoreset(pts, dim, 50, {
      seed: 1,
      onProgress: (d, total) => (expect(total).toBe(50), done.push(d)),
    });
    expect(done.at(-1)).toBe(50);
  });

  it('handles more requested points than exist and duplicate points', () => {
    const dup = new Float32Array(20 * 2).fill(1);
    dup[0] = 5;
    const sel = greedyCoreset(dup, 2, 30, { seed: 0 });
    expect(sel.length).toBe(20);
    expect(sel[0]).toBe(0);
    expect(new Set(sel).size).toBe(20);
  });
});
