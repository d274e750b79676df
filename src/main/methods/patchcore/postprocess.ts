// Typed-array post-processing of the in-memory scorer. The exported graph computes the same
// things in ONNX; tests compare both against a naive reference.

/** Bilinear resize with half-pixel centres and edge clamping (PyTorch align_corners=False, ONNX half_pixel). */
export function resizeBilinear(
  src: Float32Array,
  h: number,
  w: number,
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(outH * outW);
  const sy = h / outH;
  const sx = w / outW;
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const xs = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    x0s[x] = Math.floor(xs);
    x1s[x] = Math.min(x0s[x] + 1, w - 1);
    fx[x] = xs - x0s[x];
  }
  for (let y = 0; y < outH; y++) {
    const ys = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(ys);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = ys - y0;
    const r0 = y0 * w;
    const r1 = y1 * w;
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const a = src[r0 + x0s[x]] + (src[r0 + x1s[x]] - src[r0 + x0s[x]]) * fx[x];
      const b = src[r1 + x0s[x]] + (src[r1 + x1s[x]] - src[r1 + x0s[x]]) * fx[x];
      out[o + x] = a + (b - a) * fy;
    }
  }
  return out;
}

function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** Separable convolution with a symmetric kernel, reflect padding (anomalib's GaussianBlur2d). */
export function blurSeparableReflect(
  img: Float32Array,
  h: number,
  w: number,
  kernel: Float32Array,
): Float32Array {
  const r = (kernel.length - 1) / 2;
  const tmp = new Float32Array(h * w);
  const out = new Float32Array(h * w);
  const rowIdx = new Int32Array(h + 2 * r);
  for (let i = -r; i < h + r; i++) rowIdx[i + r] = reflect(i, h);
  const colIdx = new Int32Array(w + 2 * r);
  for (let i = -r; i < w + r; i++) colIdx[i + r] = reflect(i, w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < kernel.length; k++) s += kernel[k] * img[rowIdx[y + k] * w + x];
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < kernel.length; k++) s += kernel[k] * tmp[row + colIdx[x + k]];
      out[row + x] = s;
    }
  }
  return out;
}

/**
 * Paper Eq. 7: weight = 1 − softmax(d)[0] where d are distances from the worst test patch x* to
 * the k nearest bank vectors of its nearest bank vector m* (m* first).
 */
export function reweightFactor(
  xStar: Float32Array,
  bank: Float32Array,
  dim: number,
  mStar: number,
  k: number,
  bankSqNorms: Float64Array,
): number {
  const m = bank.length / dim;
  const kk = Math.min(k, m);
  if (kk <= 1) return 1;
  // k smallest of ||b||² − 2·m*·b (ranking of ||m* − b||), m* forced first.
  const bestIdx = new Int32Array(kk).fill(-1);
  const bestVal = new Float64Array(kk).fill(Infinity);
  bestIdx[0] = mStar;
  bestVal[0] = -Infinity;
  const mo = mStar * dim;
  for (let j = 0; j < m; j++) {
    if (j === mStar) continue;
    let dot = 0;
    const jo = j * dim;
    for (let t = 0; t < dim; t++) dot += bank[mo + t] * bank[jo + t];
    const v = bankSqNorms[j] - 2 * dot;
    if (v < bestVal[kk - 1]) {
      let p = kk - 1;
      while (p > 1 && bestVal[p - 1] > v) {
        bestVal[p] = bestVal[p - 1];
        bestIdx[p] = bestIdx[p - 1];
        p--;
      }
      bestVal[p] = v;
      bestIdx[p] = j;
    }
  }
  const d = new Float64Array(kk);
  for (let i = 0; i < kk; i++) {
    let s = 0;
    const bo = bestIdx[i] * dim;
    for (let t = 0; t < dim; t++) {
      const diff = bank[bo + t] - xStar[t];
      s += diff * diff;
    }
    d[i] = Math.sqrt(s);
  }
  const mx = Math.max(...d);
  let z = 0;
  for (let i = 0; i < kk; i++) z += Math.exp(d[i] - mx);
  return 1 - Math.exp(d[0] - mx) / z;
}

export function rowSqNorms(bank: Float32Array, dim: number): Float64Array {
  const m = bank.length / dim;
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += bank[j * dim + t] * bank[j * dim + t];
    out[j] = s;
  }
  return out;
}
