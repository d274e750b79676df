// Loss functions as graph fragments; each returns a scalar (shape []) value. They are built only
// from ops that have gradient rules, so any of them can sit at the end of a training step.
import type { GraphBuilder } from '../onnx/builder';

const allAxes = (g: GraphBuilder, x: string) => g.staticShape(x).map((_, i) => i);
const meanAll = (g: GraphBuilder, x: string) => g.reduce('ReduceMean', x, allAxes(g, x), false);

/** mean((a − b)²) */
export function mseLoss(g: GraphBuilder, a: string, b: string): string {
  const d = g.sub(a, b);
  return meanAll(g, g.mul(d, d));
}

/** mean(|a − b|) */
export function l1Loss(g: GraphBuilder, a: string, b: string): string {
  return meanAll(g, g.op('Abs', [g.sub(a, b)]));
}

/** 1 − cos(a, b) along `axis`, averaged over all other positions (STPM-style feature matching). */
export function cosineDistanceLoss(g: GraphBuilder, a: string, b: string, axis = 1, eps = 1e-8): string {
  const dot = g.reduce('ReduceSum', g.mul(a, b), [axis], false);
  const na = g.sqrt(g.add(g.reduce('ReduceSum', g.mul(a, a), [axis], false), g.constant(eps)));
  const nb = g.sqrt(g.add(g.reduce('ReduceSum', g.mul(b, b), [axis], false), g.constant(eps)));
  const cos = g.div(dot, g.mul(na, nb));
  return g.sub(g.constant(1), meanAll(g, cos));
}

/** Row-major 2-D Gaussian window, normalised to sum 1. */
export function gaussianWindow(size: number, sigma: number): Float32Array {
  const k = new Float64Array(size);
  let s = 0;
  for (let i = 0; i < size; i++) {
    const d = i - (size - 1) / 2;
    k[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
    s += k[i];
  }
  const w = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) w[i * size + j] = (k[i] / s) * (k[j] / s);
  return w;
}

export interface SsimOptions {
  window?: number;
  sigma?: number;
  /** Dynamic range L of the data: C1 = (0.01·L)², C2 = (0.03·L)². */
  dataRange?: number;
}

/**
 * 1 − mean SSIM between a and b ([N, C, H, W]) with a Gaussian window applied as a depthwise conv
 * (zero padding of window/2, as pytorch-ssim and DRAEM do).
 */
export function ssimLoss(g: GraphBuilder, a: string, b: string, o: SsimOptions = {}): string {
  const win = o.window ?? 11;
  const sigma = o.sigma ?? 1.5;
  const L = o.dataRange ?? 1;
  const c = g.staticShape(a)[1];
  const w1 = gaussianWindow(win, sigma);
  const wt = new Float32Array(c * win * win);
  for (let i = 0; i < c; i++) wt.set(w1, i * win * win);
  const w = g.initializer(g.uniqueName('ssim_window'), wt, [c, 1, win, win]);
  const p = Math.floor(win / 2);
  const blur = (x: string) => g.conv(x, w, undefined, { pads: [p, p, p, p], group: c });
  const muA = blur(a);
  const muB = blur(b);
  const muA2 = g.mul(muA, muA);
  const muB2 = g.mul(muB, muB);
  const muAB = g.mul(muA, muB);
  const sAA = g.sub(blur(g.mul(a, a)), muA2);
  const sBB = g.sub(blur(g.mul(b, b)), muB2);
  const sAB = g.sub(blur(g.mul(a, b)), muAB);
  const c1 = g.constant((0.01 * L) ** 2);
  const c2 = g.constant((0.03 * L) ** 2);
  const two = g.constant(2);
  const num = g.mul(g.add(g.mul(two, muAB), c1), g.add(g.mul(two, sAB), c2));
  const den = g.mul(g.add(g.add(muA2, muB2), c1), g.add(g.add(sAA, sBB), c2));
  return g.sub(g.constant(1), meanAll(g, g.div(num, den)));
}

/**
 * Focal loss on probabilities p ∈ (0, 1) of the positive class with 0/1 targets t:
 * mean(−α_t (1 − p_t)^γ log p_t), p_t = p·t + (1 − p)(1 − t). alpha undefined: no class weight.
 */
export function focalLoss(
  g: GraphBuilder,
  p: string,
  t: string,
  o: { gamma?: number; alpha?: number; eps?: number } = {},
): string {
  const gamma = o.gamma ?? 2;
  const eps = o.eps ?? 1e-6;
  const one = g.constant(1);
  const pt = g.add(g.mul(p, t), g.mul(g.sub(one, p), g.sub(one, t)));
  const ptc = g.clip(pt, eps, 1);
  const mod = g.op('Pow', [g.sub(one, pt), g.constant(gamma)]);
  let l = g.op('Neg', [g.mul(mod, g.op('Log', [ptc]))]);
  if (o.alpha !== undefined) {
    const a = g.constant(o.alpha);
    const at = g.add(g.mul(a, t), g.mul(g.sub(one, a), g.sub(one, t)));
    l = g.mul(l, at);
  }
  return meanAll(g, l);
}

/** Binary cross-entropy on probabilities (clipped to [eps, 1 − eps]). */
export function bceLoss(g: GraphBuilder, p: string, t: string, eps = 1e-7): string {
  const one = g.constant(1);
  const pc = g.clip(p, eps, 1 - eps);
  const pos = g.mul(t, g.op('Log', [pc]));
  const neg = g.mul(g.sub(one, t), g.op('Log', [g.sub(one, pc)]));
  return g.op('Neg', [meanAll(g, g.add(pos, neg))]);
}

/** Binary cross-entropy on logits z, in the overflow-free form max(z,0) − z·t + log(1 + e^(−|z|)). */
export function bceWithLogitsLoss(g: GraphBuilder, z: string, t: string): string {
  const l = g.add(g.sub(g.relu(z), g.mul(z, t)), g.op('Softplus', [g.op('Neg', [g.op('Abs', [z])])]));
  return meanAll(g, l);
}
