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
  /** Dims summed before the early-exit test (leading dims should carry most variance). */
  earlyDims?: number;
  onProgress?: (done: number, total: number) => void;
  /** Polled between iterations; return true to abort with CancelledError. */
  shouldCancel?: () => boolean;
}

function sqDist(points: Float32Array, a: number, b: number, dim: number): number {
  return sqDistBounded(points, a, b, dim, dim, Infinity);
}

/**
 * Squared distance; returns Infinity as soon as the sum over the first `early` dims reaches
 * `limit`. With points rotated onto their principal axes (see pcaRotation) the first dims carry
 * most of the variance, so most "cannot improve" candidates stop there. The summation order is
 * the same with or without the early exit, so results never depend on it.
 */
function sqDistBounded(
  points: Float32Array,
  a: number,
  b: number,
  dim: number,
  early: number,
  limit: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = a * dim;
  let j = b * dim;
  const body = dim - (dim % 4);
  const stop1 = i + Math.min(early - (early % 4), body);
  const stop2 = a * dim + body;
  for (; i < stop1; i += 4, j += 4) {
    const d0 = points[i] - points[j];
    const d1 = points[i + 1] - points[j + 1];
    const d2 = points[i + 2] - points[j + 2];
    const d3 = points[i + 3] - points[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  if (s0 + s1 + s2 + s3 >= limit) return Infinity;
  for (; i < stop2; i += 4, j += 4) {
    const d0 = points[i] - points[j];
    const d1 = points[i + 1] - points[j + 1];
    const d2 = points[i + 2] - points[j + 2];
    const d3 = points[i + 3] - points[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (const end = a * dim + dim; i < end; i++, j++) {
    const d = points[i] - points[j];
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

function initialDistances(points: Float32Array, n: number, dim: number, starts: number[]): Float64Array {
  // Squared distances in float64 throughout: the argmax sees the same order as true distances.
  const min2 = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let sum = 0;
    for (const s of starts) sum += Math.sqrt(sqDist(points, p, s, dim));
    const mean = sum / starts.length;
    min2[p] = mean * mean;
  }
  return min2;
}

/** Indices (in selection order) of `size` points chosen by greedy k-center from n×dim `points`. */
export function greedyCoreset(
  points: Float32Array,
  dim: number,
  size: number,
  opts: CoresetOptions,
): Int32Array {
  const n = Math.floor(points.length / dim);
  const k = Math.max(0, Math.min(size, n));
  const selected = new Int32Array(k);
  if (k === 0) return selected;
  const rng = createRng(opts.seed);
  const starts = sampleWithoutReplacement(rng, n, Math.min(opts.startPoints ?? 10, n));
  const min2 = initialDistances(points, n, dim, starts);
  const progressEvery = Math.max(1, Math.min(256, Math.floor(k / 100)));
  const tick = (it: number): void => {
    if (it % progressEvery !== 0) return;
    if (opts.shouldCancel?.()) throw new CancelledError();
    opts.onProgress?.(it, k);
  };
  if (opts.prune === false) plainLoop(points, n, dim, k, min2, selected, tick);
  else prunedLoop(points, n, dim, k, min2, selected, tick, opts.earlyDims ?? 16);
  opts.onProgress?.(k, k);
  return selected;
}

/** The textbook loop: every point's distance to every new centre. Reference for tests. */
function plainLoop(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
  min2: Float64Array,
  selected: Int32Array,
  tick: (it: number) => void,
): void {
  const chosen = new Uint8Array(n);
  let best = 0;
  for (let p = 1; p < n; p++) if (min2[p] > min2[best]) best = p;
  for (let it = 0; it < k; it++) {
    tick(it);
    if (min2[best] <= 0) best = chosen.indexOf(0);
    const c = best;
    selected[it] = c;
    chosen[c] = 1;
    min2[c] = 0;
    best = 0;
    for (let p = 0; p < n; p++) {
      const d2 = sqDist(points, p, c, dim);
      if (d2 < min2[p]) min2[p] = d2;
      if (min2[p] > min2[best]) best = p;
    }
  }
}

/**
 * Same selection with most distance evaluations skipped. Each point remembers the centre that
 * gives its current distance m_p; a new centre c can only improve it if d(c, c_owner) < 2·√m_p
 * (triangle inequality), so one centre-to-centre distance per centre decides for all its points.
 * Survivors get an early-exit distance (see sqDistBounded). The scan itself stays a sequential
 * pass over typed arrays: grouping points per cluster (linked lists) was measured slower here,
 * because it turns the pass into random access over the whole point matrix.
 */
function prunedLoop(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
  min2: Float64Array,
  selected: Int32Array,
  tick: (it: number) => void,
  earlyDims: number,
): void {
  const SLACK = 1 + 1e-9; // keeps float rounding from skipping a real update
  const owner = new Int32Array(n).fill(-1);
  const radius2 = new Float64Array(k); // max m_p over each centre's points, refreshed every pass
  const dcc2 = new Float64Array(k);
  const chosen = new Uint8Array(n);
  let best = 0;
  for (let p = 1; p < n; p++) if (min2[p] > min2[best]) best = p;
  for (let it = 0; it < k; it++) {
    tick(it);
    if (min2[best] <= 0) best = chosen.indexOf(0);
    const c = best;
    selected[it] = c;
    chosen[c] = 1;
    min2[c] = 0;
    owner[c] = it;
    for (let j = 0; j < it; j++) {
      // Only needed to be compared with 4·m_p ≤ 4·r_j: stop early once it exceeds that.
      const lim = 4 * radius2[j] * SLACK;
      dcc2[j] = lim > 0 ? sqDistBounded(points, c, selected[j], dim, earlyDims, lim) : Infinity;
    }
    radius2.fill(0, 0, it + 1);
    best = 0;
    let bestVal = -1;
    for (let p = 0; p < n; p++) {
      const o = owner[p];
      let m = min2[p];
      if (o < 0 || dcc2[o] < 4 * m * SLACK) {
        const d2 = sqDistBounded(points, p, c, dim, earlyDims, m);
        if (d2 < m) {
          m = d2;
          min2[p] = d2;
          owner[p] = it;
        }
      }
      const o2 = owner[p];
      if (o2 >= 0 && m > radius2[o2]) radius2[o2] = m;
      if (m > bestVal) {
        bestVal = m;
        best = p;
      }
    }
  }
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

/**
 * Orthogonal dim×dim matrix (row-major, columns = principal axes by decreasing variance) from a
 * subsample of the points. Rotating the points by it changes no distance but moves the variance
 * into the leading dims, which is what makes the early-exit distance test effective.
 */
export function pcaRotation(points: Float32Array, dim: number, maxSamples = 20000, seed = 0): Float32Array {
  const n = Math.floor(points.length / dim);
  const rows =
    n <= maxSamples
      ? Array.from({ length: n }, (_, i) => i)
      : sampleWithoutReplacement(createRng(seed), n, maxSamples);
  const mean = new Float64Array(dim);
  for (const p of rows) for (let a = 0; a < dim; a++) mean[a] += points[p * dim + a];
  for (let a = 0; a < dim; a++) mean[a] /= rows.length;
  const A = new Float64Array(dim * dim);
  const v = new Float64Array(dim);
  for (const p of rows) {
    for (let a = 0; a < dim; a++) v[a] = points[p * dim + a] - mean[a];
    for (let a = 0; a < dim; a++) {
      const va = v[a];
      const o = a * dim;
      for (let b = a; b < dim; b++) A[o + b] += va * v[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) A[a * dim + b] = A[b * dim + a];
  // Cyclic Jacobi: small (dim ≤ 128), dense, symmetric; a dozen sweeps reach float precision.
  const V = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) V[i * dim + i] = 1;
  for (let sweep = 0; sweep < 15; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < dim; p++) {
      diag += A[p * dim + p] ** 2;
      for (let q = p + 1; q < dim; q++) off += A[p * dim + q] ** 2;
    }
    if (off <= 1e-24 * diag) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = A[p * dim + q];
        if (apq === 0) continue;
        const theta = (A[q * dim + q] - A[p * dim + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < dim; r++) {
          const arp = A[r * dim + p];
          const arq = A[r * dim + q];
          A[r * dim + p] = c * arp - s * arq;
          A[r * dim + q] = s * arp + c * arq;
        }
        for (let r = 0; r < dim; r++) {
          const apr = A[p * dim + r];
          const aqr = A[q * dim + r];
          A[p * dim + r] = c * apr - s * aqr;
          A[q * dim + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < dim; r++) {
          const vrp = V[r * dim + p];
          const vrq = V[r * dim + q];
          V[r * dim + p] = c * vrp - s * vrq;
          V[r * dim + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: dim }, (_, i) => i).sort((x, y) => A[y * dim + y] - A[x * dim + x]);
  const Q = new Float32Array(dim * dim);
  for (let r = 0; r < dim; r++) for (let j = 0; j < dim; j++) Q[r * dim + j] = V[r * dim + order[j]];
  return Q;
}
