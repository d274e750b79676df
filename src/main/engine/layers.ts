// Layer helpers over ModelBuilder. Initialisation follows PyTorch's defaults (uniform ±1/√fan_in
// for weights and biases of conv/linear layers; BN γ = 1, β = 0) so recipes written for PyTorch
// start from the same distribution.
import { defineGradient } from './autodiff';
import type { ModelBuilder } from './model';

export interface Conv2dOptions {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  pad?: number;
  dilation?: number;
  group?: number;
  bias?: boolean;
}

export function conv2d(mb: ModelBuilder, x: string, o: Conv2dOptions): string {
  const group = o.group ?? 1;
  const fanIn = (o.inChannels / group) * o.kernel * o.kernel;
  const bound = 1 / Math.sqrt(fanIn);
  const w = mb.param(`${o.name}.weight`, [o.outChannels, o.inChannels / group, o.kernel, o.kernel], {
    kind: 'uniform',
    bound,
  });
  const b =
    o.bias === false ? undefined : mb.param(`${o.name}.bias`, [o.outChannels], { kind: 'uniform', bound });
  const p = o.pad ?? 0;
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  return mb.g.conv(x, w, b, { strides: [s, s], pads: [p, p, p, p], dilations: [d, d], group });
}

export interface ConvTranspose2dOptions extends Omit<Conv2dOptions, 'dilation' | 'group'> {
  outputPadding?: number;
}

export function convTranspose2d(mb: ModelBuilder, x: string, o: ConvTranspose2dOptions): string {
  const fanIn = o.outChannels * o.kernel * o.kernel; // PyTorch computes fan_in from weight dim 1
  const bound = 1 / Math.sqrt(fanIn);
  const w = mb.param(`${o.name}.weight`, [o.inChannels, o.outChannels, o.kernel, o.kernel], {
    kind: 'uniform',
    bound,
  });
  const b =
    o.bias === false ? undefined : mb.param(`${o.name}.bias`, [o.outChannels], { kind: 'uniform', bound });
  const p = o.pad ?? 0;
  const s = o.stride ?? 1;
  const op = o.outputPadding ?? 0;
  return mb.g.op('ConvTranspose', b ? [x, w, b] : [x, w], {
    kernel_shape: [o.kernel, o.kernel],
    strides: [s, s],
    pads: [p, p, p, p],
    output_padding: [op, op],
  });
}

/** x [B, in] → [B, out]; weight stored [in, out] so the forward is a plain MatMul. */
export function linear(
  mb: ModelBuilder,
  x: string,
  o: { name: string; inFeatures: number; outFeatures: number; bias?: boolean },
): string {
  const bound = 1 / Math.sqrt(o.inFeatures);
  const w = mb.param(`${o.name}.weight`, [o.inFeatures, o.outFeatures], { kind: 'uniform', bound });
  const y = mb.g.matmul(x, w);
  if (o.bias === false) return y;
  return mb.g.add(y, mb.param(`${o.name}.bias`, [o.outFeatures], { kind: 'uniform', bound }));
}

export interface BatchNormOptions {
  name: string;
  channels: number;
  /** PyTorch convention: running = (1 − momentum)·running + momentum·batch. */
  momentum?: number;
  eps?: number;
}

/**
 * BatchNorm over axis 1 of [N, C] or [N, C, …]. Training: batch statistics from ReduceMean ops (so
 * the autodiff differentiates through them) and running statistics returned as buffer updates
 * (unbiased variance, as PyTorch). Inference: the ONNX BatchNormalization op.
 */
export function batchNorm(mb: ModelBuilder, x: string, o: BatchNormOptions): string {
  const g = mb.g;
  const c = o.channels;
  const eps = o.eps ?? 1e-5;
  const m = o.momentum ?? 0.1;
  const gamma = mb.param(`${o.name}.weight`, [c], { kind: 'ones' });
  const beta = mb.param(`${o.name}.bias`, [c], { kind: 'zeros' });
  const runMean = mb.buffer(`${o.name}.running_mean`, [c], { kind: 'zeros' });
  const runVar = mb.buffer(`${o.name}.running_var`, [c], { kind: 'ones' });
  if (!mb.training) {
    return g.op('BatchNormalization', [x, gamma, beta, runMean, runVar], { epsilon: eps });
  }
  const xs = g.staticShape(x);
  const axes = [0, ...xs.slice(2).map((_, i) => i + 2)];
  const bshape = [1, c, ...xs.slice(2).map(() => 1)];
  const count = axes.reduce((p, a) => p * xs[a], 1);
  // Batch statistics with E[x²] − E[x]² (clamped at 0): no centred copy of the activation. The
  // normalisation itself is ONNX's BatchNormalization fed those statistics (one fused pass).
  const mean = g.reduce('ReduceMean', x, axes, true);
  const meanSq = g.reduce('ReduceMean', g.mul(x, x), axes, true);
  const variance = g.relu(g.sub(meanSq, g.mul(mean, mean)));
  const y = g.op('BatchNormalization', [x, gamma, beta, g.reshape(mean, [c]), g.reshape(variance, [c])], {
    epsilon: eps,
  });
  defineGradient(g, y, [x, gamma, beta], (dy, needs) => {
    // With xc = x − mean, inv = 1/√(var+ε), a = γ·inv, M = count:
    // dγ = inv·Σ dy·xc, dβ = Σ dy, dx = a·dy − a·Σdy/M − xc·a·inv²·Σ(dy·xc)/M.
    const inv = g.op('Reciprocal', [g.sqrt(g.add(variance, g.constant(eps)))]);
    const s1 = g.reduce('ReduceSum', dy, axes, true);
    const s2 = g.sub(g.reduce('ReduceSum', g.mul(dy, x), axes, true), g.mul(mean, s1));
    let dx: string | undefined;
    if (needs[0]) {
      const flat = (v: string) => g.reshape(v, [c]);
      const a = g.mul(inv, g.reshape(gamma, bshape));
      const k1 = g.mul(g.mul(a, g.mul(inv, inv)), g.mul(s2, g.constant(-1 / count)));
      const k2 = g.sub(g.mul(a, g.mul(s1, g.constant(-1 / count))), g.mul(k1, mean));
      // Two per-channel affine maps (dy·a and x·k1 + k2) as BatchNormalization with mean 0, var 1.
      const zerosC = g.constant(new Array<number>(c).fill(0));
      const onesC = g.constant(new Array<number>(c).fill(1));
      const affine = (t: string, scale: string, shift: string) =>
        g.op('BatchNormalization', [t, flat(scale), flat(shift), zerosC, onesC], { epsilon: 0 });
      dx = g.add(affine(dy, a, zerosC), affine(x, k1, k2));
    }
    return [
      dx,
      needs[1] ? g.reshape(g.mul(s2, inv), [c]) : undefined,
      needs[2] ? g.reshape(s1, [c]) : undefined,
    ];
  });
  const keep = g.constant(1 - m);
  const take = g.constant(m);
  mb.updateBuffer(`${o.name}.running_mean`, g.add(g.mul(runMean, keep), g.mul(g.reshape(mean, [c]), take)));
  const unbiased = g.mul(g.reshape(variance, [c]), g.constant(count > 1 ? count / (count - 1) : 1));
  mb.updateBuffer(`${o.name}.running_var`, g.add(g.mul(runVar, keep), g.mul(unbiased, take)));
  return y;
}

/**
 * Dropout with probability p. Training: x·mask with the mask a step input the Trainer draws from
 * its seeded RNG (reproducible, resumable; the gradient is the Mul's). Inference: the identity.
 */
export function dropout(mb: ModelBuilder, x: string, o: { name: string; p: number }): string {
  if (!mb.training || o.p === 0) return x;
  return mb.g.mul(x, mb.mask(`${o.name}.dropout_mask`, mb.g.staticShape(x), o.p));
}
