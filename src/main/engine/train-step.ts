// Builds ONE ONNX training-step graph from a model definition: forward, loss, reverse-mode
// gradients, optimizer update. Inputs: the batch, every parameter, every optimizer-state tensor,
// BN buffers, `lr` and `step`; outputs: `loss`, metrics, and the updated parameters, state and
// buffers. Parameters live in typed arrays between steps (Trainer), so the graph is stateless.
import { GraphBuilder } from '../onnx/builder';
import type { ModelProto } from '../onnx/schema';
import { serializeModel } from '../onnx/serialize';
import { GraphError } from '../onnx/types';
import { gradients } from './autodiff';
import { ModelBuilder, type BufferSpec, type MaskSpec, type TensorSpec } from './model';
import { emitUpdate, optimizerSlots, type OptimizerSpec } from './optimizers';

export interface DefineResult {
  loss: string;
  /** Extra scalar (or small) values to return each step, e.g. accuracy. */
  metrics?: Record<string, string>;
}

export interface TrainingStepOptions {
  name?: string;
  optimizer: OptimizerSpec;
  define: (mb: ModelBuilder) => DefineResult;
  /** Parameters held fixed (passed through unchanged). */
  frozen?: string[];
  opset?: number;
}

export interface TrainingStepGraph {
  bytes: Uint8Array;
  params: TensorSpec[];
  buffers: BufferSpec[];
  /** Parameter names that are updated. */
  trainable: string[];
  slots: string[];
  /** Graph inputs that are neither parameters, buffers, state, lr, step nor dropout masks. */
  batchInputs: { name: string; shape: number[] }[];
  /** Dropout masks the Trainer draws each step. */
  masks: MaskSpec[];
  metricNames: string[];
}

export const LOSS_OUTPUT = 'loss';
export const LR_INPUT = 'lr';
export const STEP_INPUT = 'step';
export const stateName = (param: string, slot: string) => `${param}__${slot}`;
export const nextName = (name: string) => `${name}__next`;
export const metricName = (k: string) => `metric__${k}`;

function named(g: GraphBuilder, value: string, name: string): string {
  return g.node('Identity', [value], {}, { outputs: [name] })[0];
}

export function buildTrainingStep(o: TrainingStepOptions): TrainingStepGraph {
  const g = new GraphBuilder(o.name ?? 'train_step', { opset: o.opset ?? 17 });
  const mb = new ModelBuilder(g, { training: true });
  const { loss, metrics = {} } = o.define(mb);
  const ls = g.staticShape(loss);
  if (ls.reduce((a, b) => a * b, 1) !== 1)
    throw new GraphError(`loss must be a scalar, is [${ls.join(',')}]`);
  const frozen = new Set(o.frozen ?? []);
  const trainable = mb.params.map((p) => p.name).filter((n) => !frozen.has(n));
  const grads = gradients(g, loss, trainable);
  const lr = g.input(LR_INPUT, 'float32', []);
  const step = g.input(STEP_INPUT, 'float32', []);
  const slots = optimizerSlots(o.optimizer);

  g.output(named(g, g.reshape(loss, []), LOSS_OUTPUT));
  const metricNames = Object.keys(metrics);
  for (const k of metricNames) g.output(named(g, metrics[k], metricName(k)));

  for (const p of mb.params) {
    if (frozen.has(p.name)) {
      g.output(named(g, p.name, nextName(p.name)));
      continue;
    }
    // A parameter the loss does not reach still gets a zero gradient, so Adam state stays defined.
    const grad = grads.get(p.name) ?? g.constant(0);
    const state: Record<string, string> = {};
    for (const s of slots) state[s] = g.input(stateName(p.name, s), 'float32', p.shape);
    const upd = emitUpdate(g, o.optimizer, { param: p.name, grad, state, lr, step });
    g.output(named(g, upd.param, nextName(p.name)));
    for (const s of slots) g.output(named(g, upd.state[s], nextName(stateName(p.name, s))));
  }
  for (const b of mb.buffers) g.output(named(g, b.update ?? b.name, nextName(b.name)));

  const known = new Set<string>([
    ...mb.params.map((p) => p.name),
    ...mb.buffers.map((b) => b.name),
    LR_INPUT,
    STEP_INPUT,
    ...trainable.flatMap((p) => slots.map((s) => stateName(p, s))),
    ...mb.masks.map((m) => m.name),
  ]);
  const batchInputs = g.inputs
    .filter((i) => !known.has(i.name))
    .map((i) => {
      const s = i.info.shape ?? [];
      if (!s.every((d) => typeof d === 'number'))
        throw new GraphError(`batch input '${i.name}' must have a static shape (got [${s.join(',')}])`);
      return { name: i.name, shape: s as number[] };
    });
  return {
    bytes: serializeModel(elideOutputIdentities(g.toModelProto())),
    params: mb.params,
    buffers: mb.buffers,
    trainable,
    slots,
    batchInputs,
    masks: mb.masks,
    metricNames,
  };
}

/**
 * Outputs are named through Identity nodes (param__next …); ORT keeps those as copies of every
 * parameter and state tensor each step. Where the Identity's input is a node output used for
 * nothing else that must keep its name, the producer writes the output name directly instead.
 */
export function elideOutputIdentities(model: ModelProto): ModelProto {
  const graph = model.graph;
  if (!graph?.node) return model;
  const fixed = new Set<string>([
    ...(graph.input ?? []).map((i) => i.name ?? ''),
    ...(graph.initializer ?? []).map((i) => i.name ?? ''),
    ...(graph.output ?? []).map((o) => o.name ?? ''),
  ]);
  const produced = new Set(graph.node.flatMap((n) => n.output ?? []));
  const rename = new Map<string, string>();
  const drop = new Set<number>();
  graph.node.forEach((n, i) => {
    if (n.opType !== 'Identity' || (n.domain ?? '') !== '') return;
    const [src] = n.input ?? [];
    const [dst] = n.output ?? [];
    if (!src || !dst || fixed.has(src) || !produced.has(src) || rename.has(src)) return;
    if (!(graph.output ?? []).some((o) => o.name === dst)) return;
    rename.set(src, dst);
    drop.add(i);
  });
  if (rename.size === 0) return model;
  const r = (v: string) => rename.get(v) ?? v;
  graph.node = graph.node
    .filter((_, i) => !drop.has(i))
    .map((n) => ({ ...n, input: n.input?.map(r), output: n.output?.map(r) }));
  if (graph.valueInfo) graph.valueInfo = graph.valueInfo.filter((v) => !rename.has(v.name ?? ''));
  return model;
}
