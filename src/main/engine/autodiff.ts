// Reverse-mode automatic differentiation over GraphBuilder graphs. The backward pass is emitted as
// ordinary ONNX nodes into the same builder, so the forward, the gradients and (see train-step.ts)
// the optimizer update become ONE graph that ONNX Runtime runs like any model.
//
// Shapes must be static wherever a rule needs them (training graphs fix the batch size); a rule
// that meets a symbolic dim fails with the node's name rather than emitting a wrong graph.
import type { GraphBuilder } from '../onnx/builder';
import { float32Tensor } from '../onnx/tensor';
import { GraphError, type NodeDef } from '../onnx/types';
import { GRAD_RULES, type GradContext } from './rules';

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

/**
 * Gradient of a composite: given dY of `output`, the gradient of each of `inputs` (undefined where
 * not needed). The nodes between the inputs and the output are then not differentiated one by one.
 */
export type CompositeGradRule = (dy: string, needs: boolean[]) => (string | undefined)[];

interface Composite {
  inputs: string[];
  rule: CompositeGradRule;
}

const COMPOSITES = new WeakMap<GraphBuilder, Map<string, Composite>>();

/**
 * Declares a hand-written gradient for the subgraph from `inputs` to `output` (e.g. training-mode
 * BatchNorm: ~7 passes over the activation instead of ~20 from its primitives). Every path from the
 * inputs to the loss must go through `output`; values inside the subgraph that reach the loss some
 * other way would silently lose their gradient there.
 */
export function defineGradient(
  g: GraphBuilder,
  output: string,
  inputs: string[],
  rule: CompositeGradRule,
): void {
  let m = COMPOSITES.get(g);
  if (!m) {
    m = new Map();
    COMPOSITES.set(g, m);
  }
  m.set(output, { inputs, rule });
}

/** The value of `x` through which no gradient flows (GAN: the generator's output in the D step). */
export function stopGradient(g: GraphBuilder, x: string): string {
  const y = g.identity(x, g.uniqueName('stop_gradient'));
  defineGradient(g, y, [x], () => [undefined]);
  return y;
}

export interface GradientOptions {
  /** Gradient of `y` to start from (default: ones of y's shape, i.e. d(sum y)). */
  seed?: string;
}

/**
 * Emits the backward pass of `y` with respect to each of `wrt` into `g` and returns the value
 * name of each gradient (undefined where `y` does not depend on that value).
 */
export function gradients(
  g: GraphBuilder,
  y: string,
  wrt: readonly string[],
  opts: GradientOptions = {},
): Map<string, string | undefined> {
  if (!g.info(y)) throw new GraphError(`gradients: '${y}' is not a value of ${g.name}`);
  for (const w of wrt) if (!g.info(w)) throw new GraphError(`gradients: '${w}' is not a value of ${g.name}`);
  // Snapshot: backward nodes are appended to the same list while we walk it.
  const nodes: NodeDef[] = g.topologicalOrder();

  // Values that depend on some wrt value: only they carry gradients.
  const active = new Set<string>(wrt);
  for (const n of nodes) {
    if (!n.inputs.some((i) => i !== '' && active.has(i))) continue;
    for (const o of n.outputs) if (o && FLOAT_TYPES.has(g.typeOf(o) ?? '')) active.add(o);
  }

  const contrib = new Map<string, string[]>();
  const seed = opts.seed ?? g.constant(onesOf(g.staticShape(y)), { name: 'grad_seed' });
  contrib.set(y, [seed]);

  const total = (v: string): string | undefined => {
    const list = contrib.get(v);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    // Values read by several nodes: their gradient is the sum of every reader's contribution.
    const s = g.op('Sum', list, {}, { name: g.uniqueName(`grad_sum_${v}`) });
    contrib.set(v, [s]);
    return s;
  };

  const composites = COMPOSITES.get(g);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.outputs.some((o) => o && contrib.has(o))) continue;
    const comp = node.outputs.length === 1 ? composites?.get(node.outputs[0]) : undefined;
    if (comp) {
      const cneeds = comp.inputs.map((i) => active.has(i));
      if (!cneeds.some(Boolean)) continue;
      const cgrads = comp.rule(total(node.outputs[0])!, cneeds);
      comp.inputs.forEach((inp, i) => {
        const gi = cgrads[i];
        if (!cneeds[i] || !gi) return;
        contrib.set(inp, [...(contrib.get(inp) ?? []), gi]);
      });
      continue;
    }
    const needs = node.inputs.map((i) => i !== '' && active.has(i));
    if (!needs.some(Boolean)) continue;
    const rule = GRAD_RULES[node.opType];
    if (!rule || (node.domain !== '' && node.domain !== 'ai.onnx')) {
      throw new GraphError(
        `${g.name}: no gradient rule for ${node.domain ? `${node.domain}.` : ''}${node.opType} (node '${node.name}')`,
      );
    }
    const dy = node.outputs.map((o) => (o ? total(o) : undefined));
    const ctx = makeContext(g, node, dy, needs);
    let grads: (string | undefined)[];
    try {
      grads = rule(ctx);
    } catch (e) {
      if (e instanceof GraphError && e.message.includes(node.name)) throw e;
      throw new GraphError(
        `${g.name}: gradient of node '${node.name}' (${node.opType}): ${(e as Error).message}`,
      );
    }
    node.inputs.forEach((inp, i) => {
      const gi = grads[i];
      if (!needs[i] || !gi) return;
      const list = contrib.get(inp) ?? [];
      list.push(gi);
      contrib.set(inp, list);
    });
  }

  const out = new Map<string, string | undefined>();
  for (const w of wrt) out.set(w, total(w));
  return out;
}

function onesOf(shape: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  return float32Tensor(new Array<number>(n).fill(1), shape);
}

function makeContext(
  g: GraphBuilder,
  node: NodeDef,
  dy: (string | undefined)[],
  needs: boolean[],
): GradContext {
  return {
    g,
    node,
    dy,
    needs,
    x: (i) => node.inputs[i] ?? '',
    y: (i) => node.outputs[i] ?? '',
    shape: (v) => g.staticShape(v),
  };
}
