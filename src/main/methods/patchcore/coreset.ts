// Approximate greedy k-center coreset (PatchCore, "ApproximateGreedyCoresetSampler"), on vectors
// already projected to a low fixed dimension (128) by the feature graph.
//
// The textbook loop costs N·dim per selected point (the 270 s "stuck" step). We keep it exact but
// skip most of the work with the triangle inequality: every point remembers the selected centre that
// gives its current minimum distance, and every centre j the largest such distance r_j among its
// points. A new centre c can only lower a point's distance if d(c, c_j) < 2·r_j, so whole clusters
// are skipped after one centre-to-centre distance. Selection is identical to the plain loop (up to
// exact floating-point ties), which a unit test checks by running both.
import { createRng, sampleWithoutReplacement } from './prng';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export interface CoresetOptions {
  seed: number;
  /** Random start points whose mean distance initialises the distance-to-coreset (not selected). */
  startPoints?: number;
  /** Turn off triangle-inequality pruning (tests compare against the plain loop). */
  prune?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Polled between iterations; return true to abort with CancelledError. */
  shouldCancel?: () => boolean;
}

function sqDist(points: Float32Array, a: number, b: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = a * dim;
  let j = b * dim;
  const end = i + dim - (dim % 4);
  for (; i < end; i += 4, j += 4) {
    const d0 = points[i] - points[j];
    const d1 = points[i + 1] - points[j + 1];
    const d2 = points[i + 2] - points[j + 2];
    const d3 = points[i + 3] - points[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (const stop = a * dim + dim; i < stop; i++, j++) {
    const d = points[i] - points[j];
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/** Indices (in selection order) of `size` points chosen by greedy k-center from n×dim `points`. */
export function greedyCoreset(points: Float32Array, dim: number, size: number, opts: CoresetOptions): Int32Array {
  const n = Math.floor(points.length / dim);
  const k = Math.max(0, Math.min(size, n));
  const selected = new Int32Array(k);
  if (k === 0) return selected;
  const prune = opts.prune ?? true;
  const rng = createRng(opts.seed);
  const starts = sampleWithoutReplacement(rng, n, Math.min(opts.startPoints ?? 10, n));

  // Squared distances in float64: the argmax sees the same order as true distances.
  const min2 = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let sum = 0;
    for (const s of starts) sum += Math.sqrt(sqDist(points, p, s, dim));
    const mean = sum / starts.length;
    min2[p] = mean * mean;
  }
  const owner = new Int32Array(n).fill(-1);
  const radius2 = new Float64Array(k); // exact max of min2 over each centre's points (refreshed each pass)
  const nextRadius2 = new Float64Array(k);
  const skip = new Uint8Array(k);
  const chosen = new Uint8Array(n);

  let best = 0;
  for (let p = 1; p < n; p++) if (min2[p] > min2[best]) best = p;

  const progressEvery = Math.max(1, Math.min(256, Math.floor(k / 100)));
  for (let it = 0; it < k; it++) {
    if (it % progressEvery === 0) {
      if (opts.shouldCancel?.()) throw new CancelledError();
      opts.onProgress?.(it, k);
    }
    const c = best;
    selected[it] = c;
    if (prune) {
      for (let j = 0; j < it; j++) {
        const r2 = radius2[j];
        // d(c, c_j) ≥ 2·r_j ⇔ d² ≥ 4·r². The 1e-9 slack keeps rounding from skipping a real update.
        skip[j] = r2 === 0 || sqDist(points, c, selected[j], dim) > 4 * r2 * (1 + 1e-9) ? 1 : 0;
      }
    }
    nextRadius2.fill(0, 0, it + 1);
    let bestVal = -1;
    best = 0;
    for (let p = 0; p < n; p++) {
      const o = owner[p];
      let m = min2[p];
      if (!(prune && o >= 0 && skip[o] === 1)) {
        const d2 = sqDist(points, p, c, dim);
        if (d2 < m) {
          m = d2;
          min2[p] = d2;
          owner[p] = it;
        }
      }
      const o2 = owner[p];
      if (o2 >= 0 && m > nextRadius2[o2]) nextRadius2[o2] = m;
      if (m > bestVal) {
        bestVal = m;
        best = p;
      }
    }
    min2[c] = 0;
    owner[c] = it;
    radius2.set(nextRadius2.subarray(0, it + 1));
    chosen[c] = 1;
    if (chosen[best] === 1) {
      // Only zero distances left (duplicates of selected points): take the first unselected one.
      best = chosen.indexOf(0);
    }
  }
  opts.onProgress?.(k, k);
  return selected;
}

/** max over points of the distance to the nearest selected point (brute force; tests and reports). */
export function coveringRadius(points: Float32Array, dim: number, selected: ArrayLike<number>): number {
  const n = Math.floor(points.length / dim);
  let worst = 0;
  for (let p = 0; p < n; p++) {
    let m = Infinity;
    for (let s = 0; s < selected.length; s++) {
      const d = sqDist(points, p, selected[s], dim);
      if (d < m) m = d;
    }
    if (m > worst) worst = m;
  }
  return Math.sqrt(worst);
}
