// Convolution gradients formed as large GEMMs. ONNX Runtime's CPU Conv runs the classic "weight
// gradient as a conv of X with dY as kernel" (batch and channel axes swapped, dilation = stride)
// as thousands of tiny im2col GEMMs with a 9-column output; the same sums as one large GEMM per
// kernel offset (dY against a strided Slice of the padded input, contraction over N·H·W) run at
// the CPU's GEMM speed. Depthwise convs get a per-offset multiply-and-reduce instead, so no
// im2col buffer K² times the activation is ever allocated for them.
import type { GraphBuilder } from '../onnx/builder';

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begin…, end… (non-negative, auto_pad resolved). */
  pads: number[];
  group: number;
}

const prod = (a: readonly number[]) => a.reduce((p, v) => p * v, 1);
const range = (n: number, from = 0): number[] => Array.from({ length: n - from }, (_, i) => i + from);

/** Every kernel offset (row-major, last spatial axis fastest), matching the weight's layout. */
function kernelOffsets(kernel: readonly number[]): number[][] {
  const out: number[][] = [];
  const total = prod(kernel);
  for (let k = 0; k < total; k++) {
    const off = new Array<number>(kernel.length);
    let rem = k;
    for (let a = kernel.length - 1; a >= 0; a--) {
      off[a] = rem % kernel[a];
      rem = Math.floor(rem / kernel[a]);
    }
    out.push(off);
  }
  return out;
}

/**
 * Per kernel offset, the input values each output position reads: a strided slice of the padded
 * input over the spatial axes (axes 2…). `xp` is padded; its spatial axes start at axis 2.
 */
function offsetSlices(g: GraphBuilder, xp: string, geo: ConvGeometry, outSp: number[]): string[] {
  const nsp = outSp.length;
  const axes = range(nsp + 2, 2);
  const identityWindow =
    geo.kernel.every((k) => k === 1) &&
    geo.strides.every((s) => s === 1) &&
    g
      .staticShape(xp)
      .slice(2)
      .every((d, i) => d === outSp[i]);
  if (identityWindow) return [xp];
  return kernelOffsets(geo.kernel).map((off) => {
    const starts = off.map((o, a) => o * geo.dilations[a]);
    const ends = starts.map((s, a) => s + (outSp[a] - 1) * geo.strides[a] + 1);
    return g.slice(xp, starts, ends, axes, geo.strides);
  });
}

function padSpatial(g: GraphBuilder, x: string, pads: number[], nsp: number): string {
  if (pads.every((p) => p === 0)) return x;
  return g.pad(x, [0, 0, ...pads.slice(0, nsp), 0, 0, ...pads.slice(nsp)], 0);
}

/**
 * dW[o,i,u] = Σ_n Σ_y dY[n,o,y] · Xpad[n,i,y·s+u·d]. Ungrouped: one GEMM per offset u. Grouped
 * (not depthwise): one batched MatMul over groups of dY [G, og, N·P] against im2col [G, ig·K, N·P]ᵀ.
 */
export function convWeightGradGemm(
  g: GraphBuilder,
  x: string,
  dy: string,
  weightShape: number[],
  geo: ConvGeometry,
): string {
  const xs = g.staticShape(x);
  const ys = g.staticShape(dy);
  const nsp = xs.length - 2;
  const [n, cin] = xs;
  const cout = ys[1];
  const outSp = ys.slice(2);
  const p = prod(outSp);
  const k = prod(geo.kernel);
  const G = geo.group;
  const [ig, og] = [cin / G, cout / G];
  if (ig === 1 && og === 1 && G > 1) return depthwiseWeightGrad(g, x, dy, weightShape, geo);

  // Channels first, so every slice flattens to [cin, N·P] rows of the im2col without a copy.
  const xt = padSpatial(g, g.transpose(x, [1, 0, ...range(nsp + 2, 2)]), geo.pads, nsp);
  const slices = offsetSlices(g, xt, geo, outSp);
  if (G === 1) {
    // One GEMM per kernel offset ([cout, N·P]·[cin, N·P]ᵀ), stacked on the last axis: no K²-sized
    // im2col buffer is ever concatenated.
    const dyc = g.reshape(g.transpose(g.reshape(dy, [n, cout, p]), [1, 0, 2]), [cout, n * p]);
    const per = slices.map((s) =>
      g.reshape(g.op('Gemm', [dyc, g.reshape(s, [cin, n * p])], { transB: 1 }), [cout, cin, 1]),
    );
    return g.reshape(per.length === 1 ? per[0] : g.concat(per, 2), weightShape);
  }
  const cols = g.concat(
    slices.map((s) => g.reshape(s, [cin, 1, n * p])),
    1,
  ); // [cin, K, N·P]
  const dyc = g.reshape(g.transpose(g.reshape(dy, [n, G, og, p]), [1, 2, 0, 3]), [G, og, n * p]);
  const colsT = g.transpose(g.reshape(cols, [G, ig * k, n * p]), [0, 2, 1]);
  return g.reshape(g.matmul(dyc, colsT), weightShape);
}

/** Depthwise dW[c,0,u] = Σ_{n,y} dY[n,c,y]·Xpad[n,c,y·s+u·d]: multiply and reduce per offset. */
function depthwiseWeightGrad(
  g: GraphBuilder,
  x: string,
  dy: string,
  weightShape: number[],
  geo: ConvGeometry,
): string {
  const xs = g.staticShape(x);
  const nsp = xs.length - 2;
  const c = xs[1];
  const outSp = g.staticShape(dy).slice(2);
  const xp = padSpatial(g, x, geo.pads, nsp);
  const axes = [0, ...range(nsp + 2, 2)];
  const per = offsetSlices(g, xp, geo, outSp).map((s) =>
    g.reshape(g.reduce('ReduceSum', g.mul(dy, s), axes, false), [c, 1]),
  );
  return g.reshape(per.length === 1 ? per[0] : g.concat(per, 1), weightShape);
}
