// Approximate greedy k-center coreset (PatchCore, "ApproximateGreedyCoresetSampler"), on vectors
// already projected to a low fixed dimension (128) by the feature graph.
//
// Profiled on real patch features (deeppcb, MobileNetV2, 128-d; docs/benchmarks.md "Coreset: what
// changed and why", a one-off profile of the loop this replaced): the covering radius shrinks
// slowly (r² 400 → 58 over 1 400 picks of 141 k points), so triangle-inequality pruning cut almost
// nothing (a new centre was within 2·r of ~80 % of the clusters) and the old loop streamed the
// whole n×dim float matrix once per pick: memory-bound (its 1 000-image fit: "Fitting 1000
// images", same document). The work is now arranged so that the same greedy runs as a few large
// GEMMs:
//
// 1. The projected vectors are quantised once to int8 on one common scale (distances keep their
//    geometry up to the grid step). On that grid every squared distance, dot product and norm is an
//    integer below 2²⁴, so float32 GEMM in ONNX Runtime computes them EXACTLY, in any summation
//    order and with any number of threads: the selection does not depend on the BLAS.
// 2. Picks are made in blocks that provably equal the one-at-a-time greedy: take the B points with
//    the largest current distance (candidates) and θ, the best point outside them. Distances only
//    shrink, so while the best candidate (updated exactly after each pick, in JS) still ranks above
//    θ, it is the global argmax and the plain loop would pick it too. When it no longer does, one
//    pass over all points applies the block's s centres at once as an [R×dim]·[dim×s] GEMM plus a
//    row minimum (ONNX Runtime), instead of s passes over the matrix.
//
// The plain loop on the same grid is kept as the reference (`prune: false`); a unit test checks
// that both select the same points.
import { GraphBuilder } from '../../onnx/builder';
import { serializeModel } from '../../onnx/serialize';
import { createSession, ort } from '../../runtime';
import { createRng, sampleWithoutReplacement } from '../../util/rng';

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
  /** false = the one-pick-per-pass reference loop (tests compare against it). */
  prune?: boolean;
  /**
   * Candidates kept per block (the B largest distances); more = longer blocks but every pick
   * updates all of them. 1 024 measured best of 256/1 024/4 096 on 70 k real patches, k = 4 092
   * (22 / 18 / 32 s, shared 2-core machine at load 20).
   */
  candidates?: number;
  /** Most picks applied by one GEMM pass. */
  maxBlock?: number;
  intraOpNumThreads?: number;
  /** Force the block GEMM kind (tests); default int8 where a probe shows it exact, else float32. */
  gemm?: GemmKind;
  onProgress?: (done: number, total: number) => void;
  /** Polled between iterations; return true to abort with CancelledError. */
  shouldCancel?: () => boolean;
  /** Filled with work counters (benchmarks, tests). */
  stats?: CoresetStats;
}

export interface CoresetStats {
  /** Full passes over the point matrix (the plain loop makes one per pick). */
  passes: number;
  /** Seconds in the GEMM passes. */
  gemmSeconds: number;
  /** Seconds choosing picks among the candidates (JS). */
  pickSeconds: number;
  /** Which GEMM ran the passes. */
  gemm?: GemmKind;
  /** Bytes of the quantised matrix. */
  quantizedBytes: number;
}

/** Grid step bound: |x| ≤ 127 keeps dim·(2·127)² < 2²⁴ for dim ≤ 256 (exact in float32). */
const QMAX = 127;
const MAX_EXACT_DIM = 256;
const ZERO = 128;

export interface QuantizedPoints {
  /** Grid values + 128 (uint8, the layout MatMulInteger takes with zero point 128). */
  q: Uint8Array;
  /** Squared norms of the grid vectors (exact integers). */
  sq: Float64Array;
  n: number;
  dim: number;
}

/** Centres the points and puts them on one common int8 grid (one scale keeps distances Euclidean). */
export function quantizePoints(points: Float32Array, dim: number): QuantizedPoints {
  if (dim > MAX_EXACT_DIM)
    throw new Error(`coreset dimension ${dim} > ${MAX_EXACT_DIM}: grid distances would not be exact`);
  const n = Math.floor(points.length / dim);
  const mean = new Float64Array(dim);
  for (let p = 0; p < n; p++) for (let a = 0; a < dim; a++) mean[a] += points[p * dim + a];
  for (let a = 0; a < dim; a++) mean[a] /= Math.max(1, n);
  let maxAbs = 0;
  for (let p = 0; p < n; p++) {
    for (let a = 0; a < dim; a++) {
      const v = Math.abs(points[p * dim + a] - mean[a]);
      if (v > maxAbs) maxAbs = v;
    }
  }
  const scale = maxAbs > 0 ? QMAX / maxAbs : 0;
  const q = new Uint8Array(n * dim);
  const sq = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let a = 0; a < dim; a++) {
      const v = Math.max(-QMAX, Math.min(QMAX, Math.round((points[p * dim + a] - mean[a]) * scale)));
      q[p * dim + a] = v + ZERO;
      s += v * v;
    }
    sq[p] = s;
  }
  return { q, sq, n, dim };
}

/** Exact squared distance of two grid rows (integer arithmetic in doubles). */
function gridDist2(q: Uint8Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let i = a * dim, j = b * dim, e = a * dim + dim; i < e; i++, j++) {
    const d = q[i] - q[j];
    s += d * d;
  }
  return s;
}

function initialDistances(g: QuantizedPoints, starts: number[]): Float64Array {
  // PatchCore's approximate greedy: start from the mean distance to a few random points.
  const min2 = new Float64Array(g.n);
  for (let p = 0; p < g.n; p++) {
    let sum = 0;
    for (const s of starts) sum += Math.sqrt(gridDist2(g.q, p, s, g.dim));
    const mean = sum / starts.length;
    min2[p] = mean * mean;
  }
  return min2;
}

/** Indices (in selection order) of `size` points chosen by greedy k-center from n×dim `points`. */
export async function greedyCoreset(
  points: Float32Array,
  dim: number,
  size: number,
  opts: CoresetOptions,
): Promise<Int32Array> {
  const n = Math.floor(points.length / dim);
  const k = Math.max(0, Math.min(size, n));
  const selected = new Int32Array(k);
  if (k === 0) return selected;
  const g = quantizePoints(points, dim);
  if (opts.stats) opts.stats.quantizedBytes = g.q.byteLength;
  const rng = createRng(opts.seed);
  const starts = sampleWithoutReplacement(rng, n, Math.min(opts.startPoints ?? 10, n));
  const min2 = initialDistances(g, starts);
  const progressEvery = Math.max(1, Math.min(256, Math.floor(k / 100)));
  const tick = (it: number): void => {
    if (it % progressEvery !== 0) return;
    if (opts.shouldCancel?.()) throw new CancelledError();
    opts.onProgress?.(it, k);
  };
  if (opts.prune === false) plainLoop(g, k, min2, selected, tick);
  else await blockedLoop(g, k, min2, selected, tick, opts);
  opts.onProgress?.(k, k);
  return selected;
}

/** The textbook loop: every point's distance to every new centre. Reference for tests. */
function plainLoop(
  g: QuantizedPoints,
  k: number,
  min2: Float64Array,
  selected: Int32Array,
  tick: (it: number) => void,
): void {
  const { n, dim, q } = g;
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
      const d2 = gridDist2(q, p, c, dim);
      if (d2 < min2[p]) min2[p] = d2;
      if (min2[p] > min2[best]) best = p;
    }
  }
}

/** (value desc, index asc): the order in which the plain loop's "first strictly larger" scan ranks. */
const ranksAbove = (v: number, i: number, w: number, j: number): boolean => v > w || (v === w && i < j);

/** k-th largest value of `a` (0-based), by in-place quickselect on a scratch copy. */
function kthLargest(a: Float64Array, kth: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) hi = j;
    else if (kth >= i) lo = i;
    else return a[kth];
  }
  return a[kth];
}

/**
 * The B top-ranked points and θ = (value, index) of the best point outside them. Ties at the
 * cut-off value are taken in index order, as the plain loop would rank them.
 */
function candidates(
  min2: Float64Array,
  b: number,
  scratch: Float64Array,
  out: Int32Array,
): { count: number; thetaV: number; thetaI: number } {
  const n = min2.length;
  if (b >= n) {
    for (let p = 0; p < n; p++) out[p] = p;
    return { count: n, thetaV: -Infinity, thetaI: n };
  }
  scratch.set(min2);
  const cut = kthLargest(scratch, b - 1);
  let count = 0;
  for (let p = 0; p < n; p++) if (min2[p] > cut) out[count++] = p;
  let thetaV = -Infinity;
  let thetaI = n;
  for (let p = 0; p < n; p++) {
    const v = min2[p];
    if (v === cut) {
      if (count < b) out[count++] = p;
      else if (thetaV < cut) {
        thetaV = cut;
        thetaI = p;
      }
    } else if (v < cut && v > thetaV) {
      thetaV = v;
      thetaI = p;
    }
  }
  return { count, thetaV, thetaI };
}

type GemmKind = 'int8' | 'float32';

/**
 * ONNX graph: per row of p, min over the block's centres c of (|c|² − 2·p·c), exact on the grid.
 * int8: MatMulInteger (uint8 rows with zero point 128 × int8 centres → int32), 2–3× the float
 * rate with VNNI here, but only used where a probe shows it exact (u8·s8 kernels without VNNI may
 * saturate 16-bit pair sums). float32: Gemm on the integer-valued floats, exact below 2²⁴.
 */
function minDistanceModel(dim: number, kind: GemmKind): Uint8Array {
  const g = new GraphBuilder('coreset_block');
  const p = g.input('p', 'uint8', ['R', dim]);
  const c = g.input('c', 'int8', ['S', dim]);
  const csq = g.input('csq', 'int32', ['S']);
  if (kind === 'int8') {
    const zp = g.initializer('zp', new Uint8Array([ZERO]), []);
    const ct = g.transpose(c, [1, 0]);
    const dot = g.op(
      'MatMulInteger',
      [p, ct, zp],
      {},
      { outputInfo: [{ dataType: 'int32', shape: ['R', 'S'] }] },
    );
    const two = g.initializer('two', new Int32Array([2]), []);
    const d = g.sub(csq, g.mul(dot, two));
    g.output(g.reduce('ReduceMin', d, [1], false, 'm'), 'int32', ['R']);
  } else {
    const pf = g.sub(g.op('Cast', [p], { to: 1 }), g.initializer('zero', new Float32Array([ZERO]), []));
    const cf = g.op('Cast', [c], { to: 1 });
    const d = g.op('Gemm', [pf, cf, g.op('Cast', [csq], { to: 1 })], { transB: 1, alpha: -2, beta: 1 });
    g.output(g.reduce('ReduceMin', d, [1], false, 'm'), 'float32', ['R']);
  }
  return serializeModel(g.toModelProto());
}

/** Worst-case grid rows (all ±127 patterns): the block GEMM must reproduce them exactly. */
async function exactOnProbe(session: ort.InferenceSession, dim: number): Promise<boolean> {
  const rows = 8;
  const q = new Uint8Array(rows * dim);
  for (let r = 0; r < rows; r++)
    for (let a = 0; a < dim; a++)
      q[r * dim + a] = ZERO + ((r >> 1) % 2 === 0 || (a + r) % 3 ? QMAX : -QMAX) * (r % 2 ? -1 : 1);
  const g: QuantizedPoints = { q, sq: new Float64Array(rows), n: rows, dim };
  for (let r = 0; r < rows; r++) for (let a = 0; a < dim; a++) g.sq[r] += (q[r * dim + a] - ZERO) ** 2;
  const block = Int32Array.from({ length: rows }, (_, i) => i);
  const got = new Float64Array(rows).fill(Infinity);
  await applyBlock(session, g, block, got, {});
  for (let r = 0; r < rows; r++) {
    let want = Infinity;
    for (const c of block) want = Math.min(want, gridDist2(q, r, c, dim));
    if (got[r] !== want) return false;
  }
  return true;
}

/** The int8 block session where it is exact on this CPU, else the float32 one. */
async function blockSession(
  dim: number,
  opts: CoresetOptions,
): Promise<{ session: ort.InferenceSession; kind: GemmKind }> {
  const kinds: GemmKind[] = opts.gemm ? [opts.gemm] : ['int8', 'float32'];
  for (const kind of kinds) {
    let session: ort.InferenceSession;
    try {
      session = (
        await createSession(minDistanceModel(dim, kind), {
          providerOrder: ['cpu'],
          intraOpNumThreads: opts.intraOpNumThreads,
        })
      ).session;
    } catch (e) {
      if (kind === kinds[kinds.length - 1]) throw e;
      continue;
    }
    if (kind === 'float32' || (await exactOnProbe(session, dim))) return { session, kind };
    await session.release();
  }
  throw new Error(`coreset: no exact ${kinds.join('/')} GEMM on this CPU`);
}

async function blockedLoop(
  g: QuantizedPoints,
  k: number,
  min2: Float64Array,
  selected: Int32Array,
  tick: (it: number) => void,
  opts: CoresetOptions,
): Promise<void> {
  const { n, dim, q } = g;
  const B = Math.max(1, Math.min(n, opts.candidates ?? 1024));
  const maxBlock = Math.max(1, opts.maxBlock ?? 2048);
  const { session, kind } = await blockSession(dim, opts);
  if (opts.stats) opts.stats.gemm = kind;
  const chosen = new Uint8Array(n);
  const scratch = new Float64Array(n);
  const cand = new Int32Array(B);
  const candM = new Float64Array(B);
  const block = new Int32Array(maxBlock);
  const stats = opts.stats;
  let firstUnchosen = 0;
  let it = 0;
  try {
    while (it < k) {
      const { count, thetaV, thetaI } = candidates(min2, B, scratch, cand);
      let s = 0;
      // Candidates that fall below θ can no longer be picked in this block (distances only
      // shrink): they leave the active list, so later picks of the block update fewer of them.
      let active = count;
      for (let t = 0; t < count; t++) candM[t] = min2[cand[t]];
      const tPick = performance.now();
      while (s < maxBlock && it < k && active > 0) {
        let bt = 0;
        for (let t = 1; t < active; t++) {
          if (ranksAbove(candM[t], cand[t], candM[bt], cand[bt])) bt = t;
        }
        // Every active candidate ranks above θ (see the filter below), so the best of them is the
        // global argmax.
        const bv = candM[bt];
        const bi = cand[bt];
        if (bv <= 0) break;
        tick(it);
        selected[it++] = bi;
        chosen[bi] = 1;
        block[s++] = bi;
        let w = 0;
        for (let t = 0; t < active; t++) {
          const p = cand[t];
          let m = candM[t];
          if (p !== bi) {
            const d2 = gridDist2(q, p, bi, dim);
            if (d2 < m) m = d2;
            if (!ranksAbove(m, p, thetaV, thetaI)) continue;
          } else continue;
          cand[w] = p;
          candM[w++] = m;
        }
        active = w;
      }
      if (stats) stats.pickSeconds += (performance.now() - tPick) / 1000;
      if (s === 0) {
        // Every remaining distance is 0 (duplicates of centres): the plain loop then takes the
        // unchosen points in index order, and picking them changes no distance.
        while (it < k) {
          tick(it);
          while (chosen[firstUnchosen]) firstUnchosen++;
          chosen[firstUnchosen] = 1;
          selected[it++] = firstUnchosen;
        }
        break;
      }
      const t0 = performance.now();
      await applyBlock(session, g, block.subarray(0, s), min2, opts);
      if (stats) {
        stats.passes++;
        stats.gemmSeconds += (performance.now() - t0) / 1000;
      }
    }
  } finally {
    await session.release();
  }
}

/** min2[p] ← min(min2[p], min over block centres of d²(p, c)) for every point, in row chunks. */
async function applyBlock(
  session: ort.InferenceSession,
  g: QuantizedPoints,
  block: Int32Array,
  min2: Float64Array,
  opts: Pick<CoresetOptions, 'shouldCancel'>,
): Promise<void> {
  const { n, dim, q, sq } = g;
  const s = block.length;
  const cq = new Int8Array(s * dim);
  const csq = new Int32Array(s);
  for (let j = 0; j < s; j++) {
    for (let a = 0, o = block[j] * dim; a < dim; a++) cq[j * dim + a] = q[o + a] - ZERO;
    csq[j] = sq[block[j]];
  }
  const cT = new ort.Tensor('int8', cq, [s, dim]);
  const csqT = new ort.Tensor('int32', csq, [s]);
  // ~16 MB of R×s distances per run: large enough for GEMM efficiency, small enough for cache/RAM.
  const rows = Math.max(256, Math.min(n, Math.floor((4 << 20) / s)));
  for (let r0 = 0; r0 < n; r0 += rows) {
    if (opts.shouldCancel?.()) throw new CancelledError();
    const r = Math.min(rows, n - r0);
    const pT = new ort.Tensor('uint8', q.subarray(r0 * dim, (r0 + r) * dim), [r, dim]);
    const out = await session.run({ p: pT, c: cT, csq: csqT });
    const m = out.m.data as Int32Array | Float32Array;
    for (let i = 0; i < r; i++) {
      const d2 = sq[r0 + i] + m[i];
      if (d2 < min2[r0 + i]) min2[r0 + i] = d2;
    }
  }
}

// Float twin of gridDist2, kept separate so the pick loop's distance stays monomorphic (one typed
// array kind per call site); this one only serves coveringRadius (tests, reports).
function sqDist(points: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let i = a * dim, j = b * dim, e = a * dim + dim; i < e; i++, j++) {
    const d = points[i] - points[j];
    s += d * d;
  }
  return s;
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
