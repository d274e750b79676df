// Latent size for DFR's autoencoder: the number of principal components that explain a given
// fraction of the feature variance. Covariance accumulates in ONNX Runtime (a C×C MatMul over
// many rows is the only heavy part); the eigenvalues of the C×C matrix are computed here by
// Householder tridiagonalisation + implicit QL, O(C³) once, well under a second for C ≈ 800.
import { GraphBuilder } from '../../onnx/builder';
import { serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';

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

/** Eigenvalues of a symmetric matrix (row-major n×n, not modified), in descending order. */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // Householder reduction to tridiagonal form (Numerical Recipes tred2, eigenvalues only).
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]);
      if (scale === 0) e[i] = a[i * n + l];
      else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k] /= scale;
          h += a[i * n + k] * a[i * n + k];
        }
        let f = a[i * n + l];
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k] * a[i * n + k];
          for (let k = j + 1; k <= l; k++) g += a[k * n + j] * a[i * n + k];
          e[j] = g / h;
          f += e[j] * a[i * n + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j];
          g = e[j] - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * n + k] -= f * e[k] + g * a[i * n + k];
        }
      }
    } else e[i] = a[i * n + l];
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // Implicit QL with Wilkinson shifts on the tridiagonal matrix (NR tqli, eigenvalues only).
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iter > 100) throw new Error('eigenvalue iteration did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort().reverse();
}

/** Smallest k whose top-k eigenvalues reach `fraction` of the total variance. */
export function componentsFor(eigenvalues: Float64Array, fraction: number): { k: number; explained: number } {
  let total = 0;
  for (const v of eigenvalues) total += Math.max(0, v);
  if (total <= 0) return { k: 1, explained: 1 };
  let acc = 0;
  for (let k = 0; k < eigenvalues.length; k++) {
    acc += Math.max(0, eigenvalues[k]);
    if (acc >= fraction * total) return { k: k + 1, explained: acc / total };
  }
  return { k: eigenvalues.length, explained: 1 };
}
