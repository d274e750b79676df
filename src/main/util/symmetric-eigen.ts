// Eigen-decomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then
// implicit QL with Wilkinson shifts (the classic tred2 / tqli pair), O(n³) once. Used for the
// principal axes of feature covariances (C ≈ 500–1 000), where a second or less is acceptable
// and no linear-algebra library is bundled.

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** With `vectors`: row-major [n, n], column j the unit eigenvector of values[j]. */
  vectors: Float64Array | null;
}

/** Decomposes a symmetric matrix (row-major n×n; not modified). */
export function symmetricEigen(matrix: Float64Array, n: number, vectors = false): SymmetricEigen {
  if (matrix.length !== n * n)
    throw new Error(`symmetricEigen: expected ${n}×${n} values, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(a, n, d, e, vectors);
  // QL rotates pairs of eigenvector columns: transposed, each rotation runs over contiguous rows.
  const zt = vectors ? transpose(a, n) : null;
  diagonalise(d, e, n, zt);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!zt) return { values, vectors: null };
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j] * n;
    for (let r = 0; r < n; r++) v[r * n + j] = zt[src + r];
  }
  return { values, vectors: v };
}

/**
 * Householder reduction: leaves the diagonal in d, the sub-diagonal in e[1..n-1], and with
 * `vectors` the orthogonal transformation in a (otherwise a holds scratch).
 */
function tridiagonalise(
  a: Float64Array,
  n: number,
  d: Float64Array,
  e: Float64Array,
  vectors: boolean,
): void {
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
          // The Householder vector u/H is kept in column i, where the transformation is accumulated.
          if (vectors) a[j * n + i] = a[i * n + j] / h;
          // The leading block is kept whole and symmetric, so row j is read contiguously.
          g = 0;
          for (let k = 0; k <= l; k++) g += a[j * n + k] * a[i * n + k];
          e[j] = g / h;
          f += e[j] * a[i * n + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) e[j] -= hh * a[i * n + j];
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j];
          g = e[j];
          for (let k = 0; k <= l; k++) a[j * n + k] -= f * e[k] + g * a[i * n + k];
        }
      }
    } else e[i] = a[i * n + l];
    d[i] = h;
  }
  d[0] = 0;
  e[0] = 0;
  const g = vectors ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    if (g) {
      if (d[i] !== 0) {
        // Row by row (contiguous) rather than column by column: g[j] = Σk a[i][k]·a[k][j], then
        // a[k][j] -= g[j]·a[k][i]; row i itself is not changed, so every g[j] is formed first.
        g.fill(0, 0, i);
        for (let k = 0; k < i; k++) {
          const aik = a[i * n + k];
          if (aik === 0) continue;
          const row = k * n;
          for (let j = 0; j < i; j++) g[j] += aik * a[row + j];
        }
        for (let k = 0; k < i; k++) {
          const aki = a[k * n + i];
          if (aki === 0) continue;
          const row = k * n;
          for (let j = 0; j < i; j++) a[row + j] -= g[j] * aki;
        }
      }
      d[i] = a[i * n + i];
      a[i * n + i] = 1;
      for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j] = 0;
    } else d[i] = a[i * n + i];
  }
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/** Implicit QL on the tridiagonal (d, e); rotations are applied to the rows of zt (eigenvectors as rows) when given. */
function diagonalise(d: Float64Array, e: Float64Array, n: number, zt: Float64Array | null): void {
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
      let underflow = false;
      for (let i = m - 1; i >= l; i--) {
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
        if (zt) {
          const lo = i * n;
          const hi = lo + n;
          for (let k = 0; k < n; k++) {
            const t = zt[hi + k];
            zt[hi + k] = s * zt[lo + k] + c * t;
            zt[lo + k] = c * zt[lo + k] - s * t;
          }
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
