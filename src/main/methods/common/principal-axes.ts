// Principal axes of feature rows, shared by the methods that reduce features (DFR's latent size,
// PatchCore's projection of the bank). Covariance accumulates in ONNX Runtime (a C×C MatMul over
// many rows is the only heavy part); the C×C eigen-decomposition is done once in
// util/symmetric-eigen.
import { GraphBuilder } from '../../onnx/builder';
import { serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { symmetricEigen } from '../../util/symmetric-eigen';

/** Covariance (float64, row-major C×C) of `rows` ([R, C] row-major). */
export async function covariance(rows: Float32Array, c: number, threads?: number): Promise<Float64Array> {
  const r = rows.length / c;
  if (r < 2) throw new Error('covariance needs at least two rows');
  const g = new GraphBuilder('cov');
  const x = g.input('x', 'float32', ['K', c]);
  g.output(g.matmul(g.transpose(x, [1, 0]), x, 'xtx'));
  g.output(g.reduce('ReduceSum', x, [0], false, 'sum'));
  const { session } = await createSession(serializeModel(g.toModelProto()), {
    providerOrder: ['cpu'],
    intraOpNumThreads: threads,
  });
  const xtx = new Float64Array(c * c);
  const sum = new Float64Array(c);
  try {
    const chunk = 8192;
    for (let i = 0; i < r; i += chunk) {
      const k = Math.min(chunk, r - i);
      const out = await session.run({ x: float32Tensor(rows.subarray(i * c, (i + k) * c), [k, c]) });
      // Per-chunk float32 sums, accumulated in float64 across chunks.
      const a = out.xtx.data as Float32Array;
      const s = out.sum.data as Float32Array;
      for (let j = 0; j < a.length; j++) xtx[j] += a[j];
      for (let j = 0; j < c; j++) sum[j] += s[j];
    }
  } finally {
    await session.release();
  }
  const cov = new Float64Array(c * c);
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++) cov[i * c + j] = (xtx[i * c + j] - (sum[i] * sum[j]) / r) / (r - 1);
  return cov;
}

/** Eigenvalues of a covariance, largest first. */
export function varianceSpectrum(cov: Float64Array, c: number): Float64Array {
  return symmetricEigen(cov, c).values;
}

export interface PrincipalAxes {
  /** Row-major [C, k]: column j is the j-th principal axis (unit length). */
  matrix: Float32Array;
  k: number;
  /** Share of the total variance along the k axes. */
  explained: number;
}

/** The k principal axes of `rows` ([R, C] row-major). */
export async function principalAxes(
  rows: Float32Array,
  c: number,
  k: number,
  threads?: number,
): Promise<PrincipalAxes> {
  if (!(k >= 1 && k <= c)) throw new Error(`principal axes: k must be in 1..${c}, got ${k}`);
  const { values, vectors } = symmetricEigen(await covariance(rows, c, threads), c, true);
  const matrix = new Float32Array(c * k);
  for (let i = 0; i < c; i++) for (let j = 0; j < k; j++) matrix[i * k + j] = vectors![i * c + j];
  let total = 0;
  let kept = 0;
  values.forEach((v, i) => {
    total += Math.max(0, v);
    if (i < k) kept += Math.max(0, v);
  });
  return { matrix, k, explained: total > 0 ? kept / total : 1 };
}
