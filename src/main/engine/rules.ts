// Vector–Jacobian products, one rule per ONNX op: given the gradient of each output, emit nodes
// computing the gradient of each input that needs one. Every rule is checked against central
// finite differences in test/unit/engine.
import type { GraphBuilder } from '../onnx/builder';
import { float32Tensor, tensorNumbers } from '../onnx/tensor';
import { GraphError, type Attribute, type NodeDef } from '../onnx/types';
import { convWeightGradGemm } from './conv-grads';
import { interpolationMatrix, transposeMatrix, type CoordinateMode, type NearestMode } from './interp';

export interface GradContext {
  g: GraphBuilder;
  node: NodeDef;
  /** Gradient of each output (undefined: that output does not reach the loss). */
  dy: (string | undefined)[];
  /** Which inputs need a gradient. */
  needs: boolean[];
  /** Name of input i / output i. */
  x(i: number): string;
  y(i: number): string;
  /** Static shape of a value (throws on symbolic dims). */
  shape(v: string): number[];
}

export type GradRule = (ctx: GradContext) => (string | undefined)[];

// ---------- attribute and constant helpers ----------

function attr(node: NodeDef, name: string): Attribute | undefined {
  return node.attrs[name];
}
function aInt(node: NodeDef, name: string, dflt: number): number {
  const a = attr(node, name);
  return a && a.type === 'int' ? a.value : dflt;
}
function aFloat(node: NodeDef, name: string, dflt: number): number {
  const a = attr(node, name);
  if (!a) return dflt;
  if (a.type === 'float' || a.type === 'int') return a.value;
  return dflt;
}
function aInts(node: NodeDef, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && a.type === 'ints' ? a.value : undefined;
}
function aString(node: NodeDef, name: string, dflt: string): string {
  const a = attr(node, name);
  return a && a.type === 'string' ? a.value : dflt;
}

/** Numbers of a constant input (initializer or Constant), or undefined when it is computed. */
function constInput(ctx: GradContext, i: number): number[] | undefined {
  const name = ctx.node.inputs[i];
  if (!name) return undefined;
  const t = ctx.g.constValue(name);
  return t ? tensorNumbers(t) : undefined;
}

function unsupported(ctx: GradContext, why: string): never {
  throw new GraphError(`gradient of ${ctx.node.opType} node '${ctx.node.name}': ${why}`);
}

const scalarCache = new WeakMap<GraphBuilder, Map<number, string>>();
/** A float32 scalar constant, shared per builder. */
function scalar(g: GraphBuilder, v: number): string {
  let m = scalarCache.get(g);
  if (!m) {
    m = new Map();
    scalarCache.set(g, m);
  }
  let name = m.get(v);
  if (!name) {
    name = g.constant(v, { name: 'gconst' });
    m.set(v, name);
  }
  return name;
}

const range = (n: number, from = 0): number[] => Array.from({ length: n - from }, (_, i) => i + from);

function reduceSum(g: GraphBuilder, x: string, axes: number[], keepdims: boolean): string {
  return g.reduce('ReduceSum', x, axes, keepdims);
}

/**
 * Sums a broadcast gradient back to the shape of the operand that was broadcast: over leading
 * axes the operand did not have and over axes where it had size 1.
 */
export function sumToShape(g: GraphBuilder, dy: string, target: number[]): string {
  const s = g.staticShape(dy);
  if (s.length === target.length && s.every((d, i) => d === target[i])) return dy;
  const lead = s.length - target.length;
  const axes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && s[i] !== 1) axes.push(i);
  }
  const r = axes.length ? reduceSum(g, dy, axes, true) : dy;
  return g.reshape(r, target);
}

function zeros(g: GraphBuilder, shape: number[]): string {
  return g.op('ConstantOfShape', [g.int64s(shape, 'zshape')], {
    value: float32Tensor([0], [1]),
  });
}

/** Swaps the last two axes. */
function swapLast(g: GraphBuilder, x: string): string {
  const r = g.staticShape(x).length;
  const perm = range(r);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return g.transpose(x, perm);
}

const elementwiseShapeOf = (ctx: GradContext, i: number) => ctx.shape(ctx.x(i));

// ---------- elementwise ----------

const add: GradRule = (ctx) => {
  const dy = ctx.dy[0]!;
  return [0, 1].map((i) => (ctx.needs[i] ? sumToShape(ctx.g, dy, elementwiseShapeOf(ctx, i)) : undefined));
};

const sub: GradRule = (ctx) => {
  const { g } = ctx;
  const dy = ctx.dy[0]!;
  return [
    ctx.needs[0] ? sumToShape(g, dy, elementwiseShapeOf(ctx, 0)) : undefined,
    ctx.needs[1] ? sumToShape(g, g.op('Neg', [dy]), elementwiseShapeOf(ctx, 1)) : undefined,
  ];
};

const mul: GradRule = (ctx) => {
  const { g } = ctx;
  const dy = ctx.dy[0]!;
  const [a, b] = [ctx.x(0), ctx.x(1)];
  return [
    ctx.needs[0] ? sumToShape(g, g.mul(dy, b), elementwiseShapeOf(ctx, 0)) : undefined,
    ctx.needs[1] ? sumToShape(g, g.mul(dy, a), elementwiseShapeOf(ctx, 1)) : undefined,
  ];
};

const div: GradRule = (ctx) => {
  const { g } = ctx;
  const dy = ctx.dy[0]!;
  const b = ctx.x(1);
  // d(a/b)/db = −(a/b)/b = −y/b
  return [
    ctx.needs[0] ? sumToShape(g, g.div(dy, b), elementwiseShapeOf(ctx, 0)) : undefined,
    ctx.needs[1]
      ? sumToShape(g, g.op('Neg', [g.div(g.mul(dy, ctx.y(0)), b)]), elementwiseShapeOf(ctx, 1))
      : undefined,
  ];
};

const sum: GradRule = (ctx) =>
  ctx.node.inputs.map((_, i) =>
    ctx.needs[i] ? sumToShape(ctx.g, ctx.dy[0]!, elementwiseShapeOf(ctx, i)) : undefined,
  );

const pow: GradRule = (ctx) => {
  const { g } = ctx;
  const dy = ctx.dy[0]!;
  const [x, e] = [ctx.x(0), ctx.x(1)];
  const ec = constInput(ctx, 1);
  let dx: string | undefined;
  if (ctx.needs[0]) {
    if (ec && ec.length === 1 && ec[0] === 2) dx = g.mul(dy, g.mul(x, scalar(g, 2)));
    else if (ec && ec.length === 1 && ec[0] === 1) dx = dy;
    else {
      const em1 = g.sub(e, scalar(g, 1));
      dx = g.mul(dy, g.mul(e, g.op('Pow', [x, em1])));
    }
    dx = sumToShape(g, dx, elementwiseShapeOf(ctx, 0));
  }
  const de = ctx.needs[1]
    ? sumToShape(g, g.mul(dy, g.mul(ctx.y(0), g.op('Log', [x]))), elementwiseShapeOf(ctx, 1))
    : undefined;
  return [dx, de];
};

const maxMin =
  (isMax: boolean): GradRule =>
  (ctx) => {
    const { g } = ctx;
    if (ctx.node.inputs.length !== 2) unsupported(ctx, 'only two inputs are supported');
    const dy = ctx.dy[0]!;
    const [a, b] = [ctx.x(0), ctx.x(1)];
    // Ties go to the first input, so exactly one operand receives each gradient element.
    const firstWins = g.op(isMax ? 'GreaterOrEqual' : 'LessOrEqual', [a, b]);
    const zero = scalar(g, 0);
    return [
      ctx.needs[0]
        ? sumToShape(g, g.op('Where', [firstWins, dy, zero]), elementwiseShapeOf(ctx, 0))
        : undefined,
      ctx.needs[1]
        ? sumToShape(g, g.op('Where', [firstWins, zero, dy]), elementwiseShapeOf(ctx, 1))
        : undefined,
    ];
  };

const where: GradRule = (ctx) => {
  const { g } = ctx;
  const dy = ctx.dy[0]!;
  const c = ctx.x(0);
  const zero = scalar(g, 0);
  return [
    undefined,
    ctx.needs[1] ? sumToShape(g, g.op('Where', [c, dy, zero]), elementwiseShapeOf(ctx, 1)) : undefined,
    ctx.needs[2] ? sumToShape(g, g.op('Where', [c, zero, dy]), elementwiseShapeOf(ctx, 2)) : undefined,
  ];
};

// ---------- unary ----------

const unary =
  (f: (ctx: GradContext, dy: string) => string): GradRule =>
  (ctx) => [ctx.needs[0] ? f(ctx, ctx.dy[0]!) : undefined];

const identity = unary((_c, dy) => dy);
const neg = unary((c, dy) => c.g.op('Neg', [dy]));
const relu = unary((c, dy) =>
  c.g.op('Where', [c.g.op('Greater', [c.x(0), scalar(c.g, 0)]), dy, scalar(c.g, 0)]),
);
const leakyRelu = unary((c, dy) => {
  const alpha = aFloat(c.node, 'alpha', 0.01);
  const g = c.g;
  return g.op('Where', [g.op('Greater', [c.x(0), scalar(g, 0)]), dy, g.mul(dy, scalar(g, alpha))]);
});
const sigmoid = unary((c, dy) => {
  const g = c.g;
  const y = c.y(0);
  return g.mul(dy, g.mul(y, g.sub(scalar(g, 1), y)));
});
const tanh = unary((c, dy) => {
  const g = c.g;
  const y = c.y(0);
  return g.mul(dy, g.sub(scalar(g, 1), g.mul(y, y)));
});
const exp = unary((c, dy) => c.g.mul(dy, c.y(0)));
const log = unary((c, dy) => c.g.div(dy, c.x(0)));
const sqrt = unary((c, dy) => c.g.div(c.g.mul(dy, scalar(c.g, 0.5)), c.y(0)));
const abs = unary((c, dy) => c.g.mul(dy, c.g.op('Sign', [c.x(0)])));
const reciprocal = unary((c, dy) => c.g.op('Neg', [c.g.mul(dy, c.g.mul(c.y(0), c.y(0)))]));
const softplus = unary((c, dy) => c.g.mul(dy, c.g.op('Sigmoid', [c.x(0)])));
const cast = unary((c, dy) => {
  const to = aInt(c.node, 'to', 1);
  if (to !== 1) unsupported(c, 'only casts to float32 are differentiable');
  return dy;
});

/**
 * Dropout: the identity in inference mode; in training mode dx = dy·mask/(1−ratio), with the mask
 * the node itself returned (a random mask cannot be recomputed). The engine's own dropout layer
 * instead multiplies by a mask fed from the seeded RNG (layers.dropout), which is reproducible.
 */
const dropout: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g, node } = ctx;
  const dy = ctx.dy[0]!;
  if (!node.inputs[2]) return [dy];
  const mode = constInput(ctx, 2);
  if (mode && mode[0] === 0) return [dy];
  const mask = node.outputs[1];
  if (!mask) unsupported(ctx, 'training-mode Dropout needs its mask output for the gradient');
  const ratio = node.inputs[1] ? constInput(ctx, 1) : [0.5];
  if (!ratio) unsupported(ctx, 'ratio must be a constant');
  const kept = g.op('Cast', [mask], { to: 1 });
  return [g.mul(g.mul(dy, kept), scalar(g, ratio![0] >= 1 ? 0 : 1 / (1 - ratio![0])))];
};

const clip: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  const x = ctx.x(0);
  let cond: string | undefined;
  const lo = ctx.node.inputs[1];
  const hi = ctx.node.inputs[2];
  if (lo) cond = g.op('GreaterOrEqual', [x, lo]);
  if (hi) {
    const c2 = g.op('LessOrEqual', [x, hi]);
    cond = cond ? g.op('And', [cond, c2]) : c2;
  }
  if (attr(ctx.node, 'min') || attr(ctx.node, 'max')) unsupported(ctx, 'opset < 11 Clip attributes');
  return [cond ? g.op('Where', [cond, ctx.dy[0]!, scalar(g, 0)]) : ctx.dy[0]!];
};

const softmax: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  if (g.opset < 13) unsupported(ctx, 'opset < 13 Softmax flattens; build with opset ≥ 13');
  const rank = ctx.shape(ctx.x(0)).length;
  const axis = (aInt(ctx.node, 'axis', -1) + rank) % rank;
  const y = ctx.y(0);
  const dy = ctx.dy[0]!;
  const s = reduceSum(g, g.mul(dy, y), [axis], true);
  return [g.mul(y, g.sub(dy, s))];
};

const logSoftmax: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  if (g.opset < 13) unsupported(ctx, 'opset < 13 LogSoftmax flattens; build with opset ≥ 13');
  const rank = ctx.shape(ctx.x(0)).length;
  const axis = (aInt(ctx.node, 'axis', -1) + rank) % rank;
  const dy = ctx.dy[0]!;
  const sm = g.op('Exp', [ctx.y(0)]);
  return [g.sub(dy, g.mul(sm, reduceSum(g, dy, [axis], true)))];
};

// ---------- shape ops ----------

const reshapeLike: GradRule = (ctx) => [
  ctx.needs[0] ? ctx.g.reshape(ctx.dy[0]!, ctx.shape(ctx.x(0))) : undefined,
];

const transpose: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const rank = ctx.shape(ctx.x(0)).length;
  const perm = aInts(ctx.node, 'perm') ?? range(rank).reverse();
  const inv = new Array<number>(rank);
  perm.forEach((p, i) => (inv[p] = i));
  return [ctx.g.transpose(ctx.dy[0]!, inv)];
};

const concat: GradRule = (ctx) => {
  const { g } = ctx;
  const rank = ctx.shape(ctx.x(0)).length;
  const axis = (aInt(ctx.node, 'axis', 0) + rank) % rank;
  let offset = 0;
  return ctx.node.inputs.map((inp, i) => {
    const size = ctx.shape(inp)[axis];
    const start = offset;
    offset += size;
    return ctx.needs[i] ? g.slice(ctx.dy[0]!, [start], [start + size], [axis]) : undefined;
  });
};

const split: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  const rank = ctx.shape(ctx.x(0)).length;
  const axis = (aInt(ctx.node, 'axis', 0) + rank) % rank;
  const parts = ctx.node.outputs.map((o, i) => ctx.dy[i] ?? zeros(g, ctx.shape(o)));
  return [g.concat(parts, axis)];
};

const slice: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  const xs = ctx.shape(ctx.x(0));
  const starts = constInput(ctx, 1);
  const ends = constInput(ctx, 2);
  if (!starts || !ends) unsupported(ctx, 'starts/ends must be constants');
  const axes = constInput(ctx, 3) ?? range(starts!.length);
  const steps = constInput(ctx, 4) ?? starts!.map(() => 1);
  const begin = new Array<number>(xs.length).fill(0);
  const end = new Array<number>(xs.length).fill(0);
  axes.forEach((a0, k) => {
    const a = a0 < 0 ? a0 + xs.length : a0;
    if (steps[k] !== 1) unsupported(ctx, 'only step 1 is differentiable');
    const d = xs[a];
    const clampIdx = (v: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
    const s = clampIdx(starts![k]);
    const e = Math.max(s, clampIdx(ends![k]));
    begin[a] = s;
    end[a] = d - e;
  });
  return [g.pad(ctx.dy[0]!, [...begin, ...end], 0)];
};

const pad: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  if (aString(ctx.node, 'mode', 'constant') !== 'constant') unsupported(ctx, 'only constant padding');
  if (ctx.node.inputs[3]) unsupported(ctx, 'the axes input is not supported');
  const pads = constInput(ctx, 1);
  if (!pads) unsupported(ctx, 'pads must be a constant');
  const xs = ctx.shape(ctx.x(0));
  if (pads!.some((p) => p < 0)) unsupported(ctx, 'negative pads');
  const starts = xs.map((_, i) => pads![i]);
  const ends = xs.map((d, i) => pads![i] + d);
  return [g.slice(ctx.dy[0]!, starts, ends, range(xs.length))];
};

const expand: GradRule = (ctx) => [
  ctx.needs[0] ? sumToShape(ctx.g, ctx.dy[0]!, ctx.shape(ctx.x(0))) : undefined,
];

// ---------- reductions and pooling ----------

function reduceAxes(ctx: GradContext, rank: number): number[] {
  const op = ctx.node.opType;
  const inputSince = op === 'ReduceSum' ? 13 : 18;
  let axes: number[] | undefined;
  if (ctx.g.opset >= inputSince) {
    if (ctx.node.inputs[1]) {
      axes = constInput(ctx, 1);
      if (!axes) unsupported(ctx, 'axes must be a constant');
    }
  } else axes = aInts(ctx.node, 'axes');
  if (!axes || axes.length === 0) {
    if (aInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [];
    return range(rank);
  }
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** Gradient of a reduction broadcast back to the input shape (before any per-element factor). */
function broadcastBack(ctx: GradContext): { dy: string; count: number; xs: number[] } {
  const { g } = ctx;
  const xs = ctx.shape(ctx.x(0));
  const axes = reduceAxes(ctx, xs.length);
  const keep = aInt(ctx.node, 'keepdims', 1) === 1;
  let dy = ctx.dy[0]!;
  const keptShape = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  if (!keep) dy = g.reshape(dy, keptShape);
  const count = axes.reduce((p, a) => p * xs[a], 1);
  return { dy: g.op('Expand', [dy, g.int64s(xs, 'xshape')]), count, xs };
}

const reduceSumRule: GradRule = (ctx) => [ctx.needs[0] ? broadcastBack(ctx).dy : undefined];
const reduceMean: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { dy, count } = broadcastBack(ctx);
  return [ctx.g.mul(dy, scalar(ctx.g, 1 / count))];
};
const reduceSumSquare: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { dy } = broadcastBack(ctx);
  return [ctx.g.mul(dy, ctx.g.mul(ctx.x(0), scalar(ctx.g, 2)))];
};

const globalAveragePool: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  const xs = ctx.shape(ctx.x(0));
  const count = xs.slice(2).reduce((a, b) => a * b, 1);
  const e = g.op('Expand', [ctx.dy[0]!, g.int64s(xs, 'xshape')]);
  return [g.mul(e, scalar(g, 1 / count))];
};

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begin…, end… */
  pads: number[];
  /** Per spatial axis: input size not reached by the last window (becomes output_padding). */
  outputPadding: number[];
}

/** Resolves strides/dilations/pads (auto_pad included) of a Conv or pool node for input spatial dims. */
function windowOf(ctx: GradContext, spatial: number[], kernel: number[]): Window {
  const n = spatial.length;
  const node = ctx.node;
  if (aInt(node, 'ceil_mode', 0) === 1) unsupported(ctx, 'ceil_mode=1');
  const strides = aInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = aInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  let pads = aInts(node, 'pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = aString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = new Array<number>(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const ek = dilations[i] * (kernel[i] - 1) + 1;
      const out = Math.ceil(spatial[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + ek - spatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i];
    }
  }
  const outputPadding = spatial.map((d, i) => {
    const ek = dilations[i] * (kernel[i] - 1) + 1;
    return (d + pads[i] + pads[i + n] - ek) % strides[i];
  });
  return { kernel, strides, dilations, pads, outputPadding };
}

const averagePool: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g } = ctx;
  const xs = ctx.shape(ctx.x(0));
  const ys = ctx.shape(ctx.y(0));
  const spatial = xs.slice(2);
  const kernel = aInts(ctx.node, 'kernel_shape')!;
  const w = windowOf(ctx, spatial, kernel);
  const c = xs[1];
  const kprod = kernel.reduce((a, b) => a * b, 1);
  const includePad = aInt(ctx.node, 'count_include_pad', 0) === 1;
  let dy = ctx.dy[0]!;
  let kval = 1 / kprod;
  const anyPad = w.pads.some((p) => p > 0);
  if (!includePad && anyPad) {
    // Border windows divide by the number of real (non-pad) inputs they cover: a fixed map.
    const osp = ys.slice(2);
    const total = osp.reduce((a, b) => a * b, 1);
    const inv = new Float32Array(total);
    for (let idx = 0; idx < total; idx++) {
      let rem = idx;
      let count = 1;
      for (let a = osp.length - 1; a >= 0; a--) {
        const o = rem % osp[a];
        rem = Math.floor(rem / osp[a]);
        let k = 0;
        for (let t = 0; t < kernel[a]; t++) {
          const p = o * w.strides[a] + t * w.dilations[a] - w.pads[a];
          if (p >= 0 && p < spatial[a]) k++;
        }
        count *= k;
      }
      inv[idx] = 1 / count;
    }
    dy = g.mul(dy, g.initializer(g.uniqueName('avgpool_inv_count'), inv, [1, 1, ...osp]));
    kval = 1;
  }
  const wt = new Float32Array(c * kprod).fill(kval);
  const weight = g.initializer(g.uniqueName('avgpool_ones'), wt, [c, 1, ...kernel]);
  return [
    g.op('ConvTranspose', [dy, weight], {
      kernel_shape: kernel,
      strides: w.strides,
      dilations: w.dilations,
      pads: w.pads,
      output_padding: w.outputPadding,
      group: c,
    }),
  ];
};

const maxPool: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g, node } = ctx;
  const xs = ctx.shape(ctx.x(0));
  if (aInt(node, 'storage_order', 0) !== 0) unsupported(ctx, 'storage_order=1');
  let indices = node.outputs[1];
  if (!indices) {
    // Recompute the pooling with its argmax output: the forward node did not ask for it.
    const attrs: Record<string, Attribute> = { ...node.attrs };
    const [, idx] = g.node('MaxPool', [ctx.x(0)], attrs, { outputs: 2 });
    indices = idx;
  }
  const total = xs.reduce((a, b) => a * b, 1);
  const flatIdx = g.reshape(indices, [-1]);
  const flatDy = g.reshape(ctx.dy[0]!, [-1]);
  // Overlapping windows can pick the same input twice: accumulate, don't overwrite.
  const scattered = g.op(
    'ScatterElements',
    [zeros(g, [total]), flatIdx, flatDy],
    { axis: 0, reduction: 'add' },
    {
      outputInfo: [{ dataType: 'float32', shape: [total] }],
    },
  );
  return [g.reshape(scattered, xs)];
};

// ---------- linear algebra ----------

const matmul: GradRule = (ctx) => {
  const { g } = ctx;
  const [a, b] = [ctx.x(0), ctx.x(1)];
  const as = ctx.shape(a);
  const bs = ctx.shape(b);
  if (as.length < 2 || bs.length < 2) unsupported(ctx, '1-D operands (reshape them to 2-D first)');
  const dy = ctx.dy[0]!;
  return [
    ctx.needs[0] ? sumToShape(g, g.matmul(dy, swapLast(g, b)), as) : undefined,
    ctx.needs[1] ? sumToShape(g, g.matmul(swapLast(g, a), dy), bs) : undefined,
  ];
};

const gemm: GradRule = (ctx) => {
  const { g, node } = ctx;
  const alpha = aFloat(node, 'alpha', 1);
  const beta = aFloat(node, 'beta', 1);
  const ta = aInt(node, 'transA', 0) === 1;
  const tb = aInt(node, 'transB', 0) === 1;
  const [a, b] = [ctx.x(0), ctx.x(1)];
  let dy = ctx.dy[0]!;
  const dyA = alpha === 1 ? dy : g.mul(dy, scalar(g, alpha));
  // With A' = op(A), B' = op(B): dA' = dY·B'ᵀ, dB' = A'ᵀ·dY; transposed operands get transposed grads.
  let da: string | undefined;
  let db: string | undefined;
  if (ctx.needs[0]) {
    da = ta
      ? g.op('Gemm', [b, dyA], { transA: tb ? 1 : 0, transB: 1 })
      : g.op('Gemm', [dyA, b], { transA: 0, transB: tb ? 0 : 1 });
  }
  if (ctx.needs[1]) {
    db = tb
      ? g.op('Gemm', [dyA, a], { transA: 1, transB: ta ? 1 : 0 })
      : g.op('Gemm', [a, dyA], { transA: ta ? 0 : 1, transB: 0 });
  }
  let dc: string | undefined;
  if (ctx.node.inputs[2] && ctx.needs[2]) {
    if (beta !== 1) dy = g.mul(dy, scalar(g, beta));
    dc = sumToShape(g, dy, ctx.shape(ctx.x(2)));
  }
  return [da, db, dc];
};

// ---------- convolution ----------

/** Conv attributes, with pads resolved, for the input's spatial size. */
function convWindow(ctx: GradContext, xs: number[], ws: number[]): Window & { group: number } {
  const w = windowOf(ctx, xs.slice(2), ws.slice(2));
  return { ...w, group: aInt(ctx.node, 'group', 1) };
}

/** Input of Conv's weight gradient: X [N, C, S…] regrouped to [C/g, g·N, S…] (channels act as batch). */
function channelsAsBatch(g: GraphBuilder, x: string, groups: number): string {
  const s = g.staticShape(x);
  const [n, c] = s;
  const sp = s.slice(2);
  if (groups === 1) return g.transpose(x, [1, 0, ...range(sp.length + 2, 2)]);
  const r = g.reshape(x, [n, groups, c / groups, ...sp]);
  const t = g.transpose(r, [2, 1, 0, ...range(sp.length + 3, 3)]);
  return g.reshape(t, [c / groups, groups * n, ...sp]);
}

function swapBatchChannel(g: GraphBuilder, x: string): string {
  const r = g.staticShape(x).length;
  return g.transpose(x, [1, 0, ...range(r, 2)]);
}

const isPointwise = (w: Window & { group: number }) =>
  w.group === 1 &&
  w.kernel.every((k) => k === 1) &&
  w.strides.every((s) => s === 1) &&
  w.pads.every((p) => p === 0);

const conv: GradRule = (ctx) => {
  const { g } = ctx;
  const [x, wName] = [ctx.x(0), ctx.x(1)];
  const xs = ctx.shape(x);
  const ws = ctx.shape(wName);
  const dy = ctx.dy[0]!;
  const win = convWindow(ctx, xs, ws);
  const nsp = xs.length - 2;
  const [n, cin] = xs;
  const cout = ws[0];
  let dx: string | undefined;
  let dw: string | undefined;
  let db: string | undefined;

  if (isPointwise(win)) {
    // 1×1 convolutions are per-location matrix products: plain MatMuls beat the general path.
    const p = xs.slice(2).reduce((a, b) => a * b, 1);
    const dy3 = g.reshape(dy, [n, cout, p]);
    const w2 = g.reshape(wName, [cout, cin]);
    if (ctx.needs[0]) dx = g.reshape(g.matmul(g.transpose(w2, [1, 0]), dy3), xs);
    if (ctx.needs[1]) {
      const x3 = g.reshape(x, [n, cin, p]);
      const prod = g.matmul(dy3, g.transpose(x3, [0, 2, 1]));
      dw = g.reshape(n === 1 ? prod : reduceSum(g, prod, [0], false), ws);
    }
  } else {
    if (ctx.needs[0]) {
      // Adjoint of a strided conv: transposed conv with the same window; output_padding restores
      // input rows/cols the last window never reached.
      dx = g.op('ConvTranspose', [dy, wName], {
        kernel_shape: win.kernel,
        strides: win.strides,
        dilations: win.dilations,
        pads: win.pads,
        output_padding: win.outputPadding,
        group: win.group,
      });
    }
    // One GEMM over an im2col of X (see conv-grads.ts), not a conv with dY as kernel.
    if (ctx.needs[1]) dw = convWeightGradGemm(g, x, dy, ws, win);
  }
  if (ctx.node.inputs[2] && ctx.needs[2]) db = reduceSum(g, dy, [0, ...range(nsp + 2, 2)], false);
  return [dx, dw, db];
};

const convTranspose: GradRule = (ctx) => {
  const { g, node } = ctx;
  if (aInts(node, 'output_shape')) unsupported(ctx, 'output_shape (give pads and output_padding instead)');
  const aut = aString(node, 'auto_pad', 'NOTSET');
  if (aut !== 'NOTSET') unsupported(ctx, `auto_pad=${aut}`);
  const [x, wName] = [ctx.x(0), ctx.x(1)];
  const xs = ctx.shape(x);
  const ws = ctx.shape(wName);
  const nsp = xs.length - 2;
  const kernel = ws.slice(2);
  const strides = aInts(node, 'strides') ?? new Array<number>(nsp).fill(1);
  const dilations = aInts(node, 'dilations') ?? new Array<number>(nsp).fill(1);
  const pads = aInts(node, 'pads') ?? new Array<number>(2 * nsp).fill(0);
  const group = aInt(node, 'group', 1);
  const dy = ctx.dy[0]!;
  let dx: string | undefined;
  let dw: string | undefined;
  let db: string | undefined;
  if (ctx.needs[0]) {
    // The adjoint of a transposed conv is the conv with the same window and weights.
    dx = g.op('Conv', [dy, wName], { kernel_shape: kernel, strides, dilations, pads, group });
  }
  if (ctx.needs[1]) {
    // dW[i,o,u] = Σ_n Σ_x X[n,i,x]·dY[n,o,x·s+u·d−p]: conv of dY (channels as batch) with X as kernel.
    const input = channelsAsBatch(g, dy, group);
    const kern = swapBatchChannel(g, x);
    const full = g.op('Conv', [input, kern], {
      kernel_shape: xs.slice(2),
      strides: dilations,
      dilations: strides,
      pads,
      group,
    });
    const fs = g.staticShape(full);
    const needCut = range(nsp).some((i) => fs[i + 2] !== kernel[i]);
    const cut = needCut
      ? g.slice(
          full,
          kernel.map(() => 0),
          kernel,
          range(nsp + 2, 2),
        )
      : full;
    dw = swapBatchChannel(g, cut);
  }
  if (ctx.node.inputs[2] && ctx.needs[2]) db = reduceSum(g, dy, [0, ...range(nsp + 2, 2)], false);
  return [dx, dw, db];
};

// ---------- normalisation ----------

/** BatchNormalization in inference mode (running statistics as inputs). */
const batchNorm: GradRule = (ctx) => {
  const { g, node } = ctx;
  if (aInt(node, 'training_mode', 0) === 1)
    unsupported(ctx, 'training_mode=1: build training-mode BN from primitives (layers.batchNorm)');
  const eps = aFloat(node, 'epsilon', 1e-5);
  const [x, scale, , mean, variance] = node.inputs;
  const xs = ctx.shape(x);
  const c = xs[1];
  const bshape = [1, c, ...xs.slice(2).map(() => 1)];
  const axes = [0, ...range(xs.length, 2)];
  const dy = ctx.dy[0]!;
  const invStd = g.op('Reciprocal', [g.sqrt(g.add(variance, scalar(g, eps)))]);
  const xc = g.sub(x, g.reshape(mean, bshape));
  const out: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  if (ctx.needs[0]) out[0] = g.mul(dy, g.reshape(g.mul(scale, invStd), bshape));
  if (ctx.needs[1]) out[1] = g.mul(reduceSum(g, g.mul(dy, xc), axes, false), invStd);
  if (ctx.needs[2] || ctx.needs[3]) {
    const sdy = reduceSum(g, dy, axes, false);
    if (ctx.needs[2]) out[2] = sdy;
    if (ctx.needs[3]) out[3] = g.op('Neg', [g.mul(sdy, g.mul(scale, invStd))]);
  }
  if (ctx.needs[4]) {
    const inv3 = g.mul(invStd, g.mul(invStd, invStd));
    out[4] = g.mul(reduceSum(g, g.mul(dy, xc), axes, false), g.mul(g.mul(scale, inv3), scalar(g, -0.5)));
  }
  return out;
};

// ---------- resize ----------

const resize: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [undefined];
  const { g, node } = ctx;
  const mode = aString(node, 'mode', 'nearest');
  if (mode !== 'linear' && mode !== 'nearest') unsupported(ctx, `mode ${mode}`);
  if (aInt(node, 'antialias', 0) === 1) unsupported(ctx, 'antialias');
  if (aInts(node, 'axes')) unsupported(ctx, 'the axes attribute');
  const cmode = aString(node, 'coordinate_transformation_mode', 'half_pixel');
  if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'].includes(cmode))
    unsupported(ctx, `coordinate_transformation_mode ${cmode}`);
  const xs = ctx.shape(ctx.x(0));
  const ys = ctx.shape(ctx.y(0));
  const scales = node.inputs[2] ? constInput(ctx, 2) : undefined;
  const r = xs.length;
  for (let a = 0; a < r - 2; a++)
    if (xs[a] !== ys[a]) unsupported(ctx, 'only the last two axes may be resized');
  let dx = ctx.dy[0]!;
  const matrix = (axis: number) =>
    interpolationMatrix(xs[axis], ys[axis], {
      mode,
      coordinateMode: cmode as CoordinateMode,
      nearestMode: aString(node, 'nearest_mode', 'round_prefer_floor') as NearestMode,
      scale: scales && scales.length === r ? scales[axis] : undefined,
    });
  // dX = R_hᵀ · dY · R_w, as two MatMuls with constant matrices.
  const lastSame = xs[r - 1] === ys[r - 1] && !scales;
  if (!lastSame) {
    const rw = matrix(r - 1); // [Wo, W]
    dx = g.matmul(dx, g.initializer(g.uniqueName('resize_rw'), rw, [ys[r - 1], xs[r - 1]]));
  }
  const prevSame = xs[r - 2] === ys[r - 2] && !scales;
  if (!prevSame) {
    const rh = matrix(r - 2); // [Ho, H]
    const rht = transposeMatrix(rh, ys[r - 2], xs[r - 2]);
    dx = g.matmul(g.initializer(g.uniqueName('resize_rht'), rht, [xs[r - 2], ys[r - 2]]), dx);
  }
  return [dx];
};

export const GRAD_RULES: Record<string, GradRule> = {
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Sum: sum,
  Pow: pow,
  Max: maxMin(true),
  Min: maxMin(false),
  Where: where,
  Identity: identity,
  Dropout: dropout,
  Neg: neg,
  Relu: relu,
  LeakyRelu: leakyRelu,
  Sigmoid: sigmoid,
  Tanh: tanh,
  Exp: exp,
  Log: log,
  Sqrt: sqrt,
  Abs: abs,
  Reciprocal: reciprocal,
  Softplus: softplus,
  Cast: cast,
  Clip: clip,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Reshape: reshapeLike,
  Flatten: reshapeLike,
  Squeeze: reshapeLike,
  Unsqueeze: reshapeLike,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Expand: expand,
  ReduceSum: reduceSumRule,
  ReduceMean: reduceMean,
  ReduceSumSquare: reduceSumSquare,
  GlobalAveragePool: globalAveragePool,
  AveragePool: averagePool,
  MaxPool: maxPool,
  MatMul: matmul,
  Gemm: gemm,
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  Resize: resize,
};
