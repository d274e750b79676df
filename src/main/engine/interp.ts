// Resize as a matrix. ONNX Resize (linear or nearest, no antialias) is separable: along each
// resized axis every output sample is a fixed combination of at most two input samples, so
// Y = R_h · X · R_wᵀ. That matrix gives both the gradient (dX = R_hᵀ · dY · R_w) and cheap exact
// compositions such as DFR's "bilinear upsample to the input size, then 4×4 mean pool".

export type CoordinateMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface InterpOptions {
  mode: 'linear' | 'nearest';
  coordinateMode?: CoordinateMode;
  nearestMode?: NearestMode;
  /** Scale as ONNX sees it; defaults to outSize / inSize (what Resize uses when given `sizes`). */
  scale?: number;
}

function sourceCoord(
  x: number,
  inSize: number,
  outSize: number,
  scale: number,
  mode: CoordinateMode,
): number {
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : (x * (inSize - 1)) / (outSize - 1);
    case 'asymmetric':
      return x / scale;
  }
}

function nearestIndex(c: number, mode: NearestMode): number {
  switch (mode) {
    case 'floor':
      return Math.floor(c);
    case 'ceil':
      return Math.ceil(c);
    case 'round_prefer_ceil':
      return Math.round(c);
    case 'round_prefer_floor':
      return c === Math.floor(c) + 0.5 ? Math.floor(c) : Math.round(c);
  }
}

/** Row-major [outSize, inSize] matrix R with y = R·x along one axis, matching ONNX Runtime's Resize. */
export function interpolationMatrix(inSize: number, outSize: number, o: InterpOptions): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = o.scale ?? outSize / inSize;
  const cm = o.coordinateMode ?? 'half_pixel';
  for (let y = 0; y < outSize; y++) {
    const c = sourceCoord(y, inSize, outSize, scale, cm);
    if (o.mode === 'nearest') {
      const i = Math.min(inSize - 1, Math.max(0, nearestIndex(c, o.nearestMode ?? 'round_prefer_floor')));
      m[y * inSize + i] = 1;
      continue;
    }
    // ORT clamps the source coordinate into [0, in−1] before splitting it into two taps.
    const cc = Math.max(0, Math.min(c, inSize - 1));
    const i0 = Math.min(Math.floor(cc), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const f = cc - i0;
    m[y * inSize + i0] += 1 - f;
    m[y * inSize + i1] += f;
  }
  return m;
}

/** [outSize, inSize] mean pooling with kernel = stride = k (no padding). */
export function meanPoolMatrix(inSize: number, k: number): Float32Array {
  const out = Math.floor(inSize / k);
  const m = new Float32Array(out * inSize);
  for (let y = 0; y < out; y++) for (let j = 0; j < k; j++) m[y * inSize + y * k + j] = 1 / k;
  return m;
}

/** C = A·B for row-major A [n, k] and B [k, m]. */
export function matMul(a: Float32Array, b: Float32Array, n: number, k: number, m: number): Float32Array {
  const c = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] += v * b[p * m + j];
    }
  return c;
}

export function transposeMatrix(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}
