// The eigen-decomposition behind every principal-axes reduction (PatchCore's projection, DFR's
// latent size): checked against matrices whose eigenpairs are known by construction.
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../src/main/util/symmetric-eigen';
import { createRng } from '../../../src/main/util/rng';

/** Q diag(λ) Qᵀ with Q a product of seeded Householder reflections; returns the matrix and Q. */
function known(lambda: number[], seed: number): { a: Float64Array; q: Float64Array } {
  const n = lambda.length;
  const rng = createRng(seed);
  let q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let r = 0; r < 3; r++) {
    const v = Array.from({ length: n }, () => rng.normal());
    const norm = Math.hypot(...v);
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - (2 * v[i] * v[j]) / norm ** 2;
    const z = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) z[i * n + j] += q[i * n + k] * h[k * n + j];
    q = z;
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) a[i * n + j] += q[i * n + k] * lambda[k] * q[j * n + k];
  return { a, q };
}

describe('symmetricEigen', () => {
  it('returns the known eigenvalues, largest first, and unit eigenvectors that satisfy A v = λ v', () => {
    const lambda = [0.5, 9, -2, 4, 4.5, 0, 1e-6, 3];
    const n = lambda.length;
    const { a, q } = known(lambda, 11);
    const input = Float64Array.from(a);
    const { values, vectors } = symmetricEigen(a, n, true);
    expect(a).toEqual(input); // not modified
    const sorted = [...lambda].sort((x, y) => y - x);
    sorted.forEach((l, i) => expect(values[i]).toBeCloseTo(l, 10));
    const v = vectors!;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k] * v[k * n + j];
        expect(av).toBeCloseTo(values[j] * v[i * n + j], 10);
      }
      // Distinct eigenvalues: each vector is ± the constructed one.
      const src = lambda.findIndex((l) => Math.abs(l - values[j]) < 1e-8);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i * n + j] * q[i * n + src];
      expect(Math.abs(dot)).toBeCloseTo(1, 8);
    }
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i * n + j] * v[i * n + k];
        expect(dot).toBeCloseTo(j === k ? 1 : 0, 10);
      }
  });

  it('gives the same eigenvalues with and without vectors, on a larger rank-deficient covariance', () => {
    const n = 60;
    const rank = 12;
    const rng = createRng(3);
    const b = Float64Array.from({ length: n * rank }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let t = 0; t < rank; t++) a[i * n + j] += b[i * rank + t] * b[j * rank + t];
    const plain = symmetricEigen(a, n).values;
    const full = symmetricEigen(a, n, true);
    expect(symmetricEigen(a, n).vectors).toBeNull();
    for (let i = 0; i < n; i++) expect(full.values[i]).toBeCloseTo(plain[i], 9);
    expect(full.values[rank - 1]).toBeGreaterThan(1);
    for (let i = rank; i < n; i++) expect(Math.abs(full.values[i])).toBeLessThan(1e-9);
  });

  it('handles 1×1 and refuses a matrix of the wrong size', () => {
    expect(symmetricEigen(Float64Array.of(7), 1, true)).toEqual({
      values: Float64Array.of(7),
      vectors: Float64Array.of(1),
    });
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/2×2/);
  });
});
