// Optimizer updates as graph fragments, appended to the training-step graph after the gradients.
// Formulas follow PyTorch (torch.optim.SGD / Adam / AdamW) so published recipes transfer.
import type { GraphBuilder } from '../onnx/builder';

export type OptimizerSpec =
  | { kind: 'sgd'; momentum?: number; weightDecay?: number; nesterov?: boolean }
  | {
      kind: 'adam';
      beta1?: number;
      beta2?: number;
      eps?: number;
      weightDecay?: number;
      /** AdamW: decay the weights directly instead of adding wd·p to the gradient. */
      decoupled?: boolean;
    };

/** Per-parameter state tensors (same shape as the parameter) the optimizer carries between steps. */
export function optimizerSlots(spec: OptimizerSpec): string[] {
  if (spec.kind === 'sgd') return (spec.momentum ?? 0) !== 0 ? ['momentum'] : [];
  return ['m', 'v'];
}

export interface UpdateInputs {
  param: string;
  grad: string;
  state: Record<string, string>;
  /** Scalar learning rate input. */
  lr: string;
  /** Scalar step number t ≥ 1 (float), for Adam's bias correction. */
  step: string;
}

export function emitUpdate(
  g: GraphBuilder,
  spec: OptimizerSpec,
  u: UpdateInputs,
): { param: string; state: Record<string, string> } {
  const c = (v: number) => g.constant(v);
  const wd = spec.weightDecay ?? 0;
  if (spec.kind === 'sgd') {
    const mu = spec.momentum ?? 0;
    let grad = wd ? g.add(u.grad, g.mul(u.param, c(wd))) : u.grad;
    const state: Record<string, string> = {};
    if (mu !== 0) {
      const v = g.add(g.mul(u.state.momentum, c(mu)), grad);
      state.momentum = v;
      grad = spec.nesterov ? g.add(grad, g.mul(v, c(mu))) : v;
    }
    return { param: g.sub(u.param, g.mul(grad, u.lr)), state };
  }
  const b1 = spec.beta1 ?? 0.9;
  const b2 = spec.beta2 ?? 0.999;
  const eps = spec.eps ?? 1e-8;
  let p = u.param;
  let grad = u.grad;
  if (wd && spec.decoupled) p = g.mul(p, g.sub(c(1), g.mul(u.lr, c(wd))));
  else if (wd) grad = g.add(grad, g.mul(p, c(wd)));
  const m = g.add(g.mul(u.state.m, c(b1)), g.mul(grad, c(1 - b1)));
  const v = g.add(g.mul(u.state.v, c(b2)), g.mul(g.mul(grad, grad), c(1 - b2)));
  const bc1 = g.sub(c(1), g.op('Pow', [c(b1), u.step]));
  const bc2 = g.sub(c(1), g.op('Pow', [c(b2), u.step]));
  const denom = g.add(g.sqrt(g.div(v, bc2)), c(eps));
  const upd = g.div(g.div(m, bc1), denom);
  return { param: g.sub(p, g.mul(upd, u.lr)), state: { m, v } };
}
