// Shape and type inference for the operators our graphs use. Rules only throw when a mismatch is
// certain (both dims numeric); symbolic dims pass through so dynamic batch sizes stay legal.
import { tensorNumbers } from './tensor';
import type { Attribute, DataType, Dim, NodeDef, Shape, TensorData, ValueInfo } from './types';

export class ShapeError extends Error {}

export interface InferContext {
  node: NodeDef;
  opset: number;
  /** Info for each input ('' inputs give undefined). */
  inputs: (ValueInfo | undefined)[];
  /** Constant value of input i when it is an initializer or Constant output. */
  constant(i: number): TensorData | undefined;
}

type Rule = (ctx: InferContext) => (ValueInfo | undefined)[];

const fail = (msg: string): never => {
  throw new ShapeError(msg);
};

const fmt = (s: Shape | undefined) => (s ? `[${s.join(',')}]` : '[?]');

function attrInt(node: NodeDef, name: string, dflt: number): number;
function attrInt(node: NodeDef, name: string): number | undefined;
function attrInt(node: NodeDef, name: string, dflt?: number): number | undefined {
  const a = node.attrs[name];
  if (!a) return dflt;
  if (a.type !== 'int') fail(`attribute ${name} must be an int`);
  return (a as Extract<Attribute, { type: 'int' }>).value;
}

function attrInts(node: NodeDef, name: string): number[] | undefined {
  const a = node.attrs[name];
  if (!a) return undefined;
  if (a.type !== 'ints') fail(`attribute ${name} must be ints`);
  return (a as Extract<Attribute, { type: 'ints' }>).value;
}

function attrString(node: NodeDef, name: string, dflt: string): string {
  const a = node.attrs[name];
  if (!a) return dflt;
  if (a.type !== 'string') fail(`attribute ${name} must be a string`);
  return (a as Extract<Attribute, { type: 'string' }>).value;
}

const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function need(ctx: InferContext, i: number): ValueInfo {
  const v = ctx.inputs[i];
  if (!v) fail(`input ${i} is required`);
  return v as ValueInfo;
}

export function broadcastShapes(shapes: (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as Shape[];
  const rank = Math.max(...ss.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of ss) {
      const e = s[s.length - rank + i];
      if (e === undefined || e === 1) continue;
      if (d === 1) d = e;
      else if (isNum(d) && isNum(e) && d !== e) {
        fail(`cannot broadcast ${ss.map(fmt).join(' with ')} (dim ${i}: ${d} vs ${e})`);
      } else if (!isNum(d) && isNum(e)) d = e;
    }
    out.push(d);
  }
  return out;
}

const same: Rule = (ctx) => [need(ctx, 0)];
const elementwise: Rule = (ctx) => {
  const ins = ctx.inputs.filter((v): v is ValueInfo => !!v);
  const t = ins[0]?.dataType ?? 'float32';
  for (const v of ins) {
    if (v.dataType !== t) fail(`input types differ (${t} vs ${v.dataType})`);
  }
  return [{ dataType: t, shape: broadcastShapes(ins.map((v) => v.shape)) }];
};
const compare: Rule = (ctx) => [{ dataType: 'bool', shape: elementwise(ctx)[0]?.shape }];

function spatialWindow(
  ctx: InferContext,
  x: Shape,
  kernel: number[],
  opts: { channelsOut: Dim; transposed?: boolean; outputPadding?: number[] },
): Shape {
  const { node } = ctx;
  const nsp = x.length - 2;
  if (kernel.length !== nsp) fail(`kernel ${kernel.length}-D but input ${fmt(x)} has ${nsp} spatial dims`);
  const strides = attrInts(node, 'strides') ?? new Array(nsp).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(nsp).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const pads = attrInts(node, 'pads') ?? new Array(2 * nsp).fill(0);
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  if (strides.length !== nsp || dil.length !== nsp || pads.length !== 2 * nsp) {
    fail(`strides/dilations/pads lengths do not match ${nsp} spatial dims`);
  }
  const out: Shape = [x[0], opts.channelsOut];
  for (let i = 0; i < nsp; i++) {
    const d = x[i + 2];
    if (!isNum(d)) {
      out.push(`${node.name}_d${i}`);
      continue;
    }
    const ek = dil[i] * (kernel[i] - 1) + 1;
    let o: number;
    if (opts.transposed) {
      const outShape = attrInts(node, 'output_shape');
      if (outShape) o = outShape[i];
      else o = strides[i] * (d - 1) + (opts.outputPadding?.[i] ?? 0) + ek - pads[i] - pads[i + nsp];
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      o = Math.ceil(d / strides[i]);
    } else if (autoPad === 'VALID') {
      o = Math.floor((d - ek) / strides[i]) + 1;
    } else {
      const r = (d + pads[i] + pads[i + nsp] - ek) / strides[i];
      o = (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
    }
    if (o <= 0)
      fail(
        `spatial dim ${i} of input ${fmt(x)} gives output size ${o} (kernel ${kernel[i]}, stride ${strides[i]})`,
      );
    out.push(o);
  }
  return out;
}

const conv: Rule = (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const group = attrInt(ctx.node, 'group', 1);
  if (!x.shape || !w.shape) return [{ dataType: x.dataType }];
  if (x.shape.length < 3) fail(`input ${fmt(x.shape)} must be N×C×spatial`);
  if (w.shape.length !== x.shape.length)
    fail(`weight ${fmt(w.shape)} rank differs from input ${fmt(x.shape)}`);
  const c = x.shape[1];
  const [m, cw] = w.shape;
  if (isNum(c) && isNum(cw) && c !== cw * group) {
    fail(
      `input channels ${c} != weight in-channels ${cw} × group ${group} (input ${fmt(x.shape)}, weight ${fmt(w.shape)})`,
    );
  }
  if (isNum(m) && m % group !== 0) fail(`output channels ${m} not divisible by group ${group}`);
  const b = ctx.inputs[2];
  if (b?.shape && (b.shape.length !== 1 || (isNum(b.shape[0]) && isNum(m) && b.shape[0] !== m))) {
    fail(`bias ${fmt(b.shape)} must be [${m}]`);
  }
  const kernel = w.shape.slice(2);
  if (!kernel.every(isNum)) return [{ dataType: x.dataType }];
  const ks = attrInts(ctx.node, 'kernel_shape');
  if (ks && ks.join() !== kernel.join()) fail(`kernel_shape [${ks}] != weight spatial [${kernel}]`);
  return [
    { dataType: x.dataType, shape: spatialWindow(ctx, x.shape, kernel as number[], { channelsOut: m }) },
  ];
};

const convTranspose: Rule = (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const group = attrInt(ctx.node, 'group', 1);
  if (!x.shape || !w.shape) return [{ dataType: x.dataType }];
  const [cin, mPerGroup] = w.shape;
  const c = x.shape[1];
  if (isNum(c) && isNum(cin) && c !== cin) fail(`input channels ${c} != weight dim 0 ${cin}`);
  const m: Dim = isNum(mPerGroup) ? mPerGroup * group : mPerGroup;
  const kernel = w.shape.slice(2);
  if (!kernel.every(isNum)) return [{ dataType: x.dataType }];
  const outputPadding = attrInts(ctx.node, 'output_padding');
  return [
    {
      dataType: x.dataType,
      shape: spatialWindow(ctx, x.shape, kernel as number[], {
        channelsOut: m,
        transposed: true,
        outputPadding,
      }),
    },
  ];
};

const pool: Rule = (ctx) => {
  const x = need(ctx, 0);
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? fail('kernel_shape is required');
  if (!x.shape) return [{ dataType: x.dataType }];
  const shape = spatialWindow(ctx, x.shape, kernel, { channelsOut: x.shape[1] });
  // MaxPool's optional second output holds flat indices.
  return [
    { dataType: x.dataType, shape },
    { dataType: 'int64', shape },
  ];
};

const globalPool: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  return [{ dataType: x.dataType, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
};

const matmul: Rule = (ctx) => {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  if (a.dataType !== b.dataType) fail(`input types differ (${a.dataType} vs ${b.dataType})`);
  if (!a.shape || !b.shape) return [{ dataType: a.dataType }];
  if (a.shape.length === 0 || b.shape.length === 0) fail('MatMul inputs must not be scalars');
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const k1 = as[as.length - 1];
  const k2 = bs[bs.length - 2];
  if (isNum(k1) && isNum(k2) && k1 !== k2) {
    fail(`inner dims differ: ${fmt(a.shape)} × ${fmt(b.shape)} (${k1} vs ${k2})`);
  }
  const batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)]) ?? [];
  const out: Shape = [...batch];
  if (a.shape.length !== 1) out.push(as[as.length - 2]);
  if (b.shape.length !== 1) out.push(bs[bs.length - 1]);
  return [{ dataType: a.dataType, shape: out }];
};

const gemm: Rule = (ctx) => {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  if (!a.shape || !b.shape) return [{ dataType: a.dataType }];
  if (a.shape.length !== 2 || b.shape.length !== 2)
    fail(`Gemm needs 2-D inputs, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [m, k1] = attrInt(ctx.node, 'transA', 0) ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = attrInt(ctx.node, 'transB', 0) ? [b.shape[1], b.shape[0]] : b.shape;
  if (isNum(k1) && isNum(k2) && k1 !== k2) fail(`inner dims differ (${k1} vs ${k2})`);
  const c = ctx.inputs[2];
  if (c?.shape) broadcastShapes([[m, n], c.shape]);
  return [{ dataType: a.dataType, shape: [m, n] }];
};

const concat: Rule = (ctx) => {
  const ins = ctx.inputs.map((v, i) => v ?? fail(`input ${i} is required`)) as ValueInfo[];
  const t = ins[0].dataType;
  if (ins.some((v) => v.dataType !== t)) fail('input types differ');
  if (ins.some((v) => !v.shape)) return [{ dataType: t }];
  const shapes = ins.map((v) => v.shape as Shape);
  const rank = shapes[0].length;
  const axisAttr = attrInt(ctx.node, 'axis') ?? fail('axis is required');
  const axis = normAxis(axisAttr, rank);
  const out = [...shapes[0]];
  let total: Dim = 0;
  for (const s of shapes) {
    if (s.length !== rank) fail(`ranks differ: ${shapes.map(fmt).join(', ')}`);
    for (let d = 0; d < rank; d++) {
      if (d === axis) continue;
      if (isNum(out[d]) && isNum(s[d]) && out[d] !== s[d]) {
        fail(`dim ${d} differs: ${shapes.map(fmt).join(', ')}`);
      }
      if (!isNum(out[d]) && isNum(s[d])) out[d] = s[d];
    }
    total = isNum(total) && isNum(s[axis]) ? total + s[axis] : `${ctx.node.name}_concat`;
  }
  out[axis] = total;
  return [{ dataType: t, shape: out }];
};

const reshape: Rule = (ctx) => {
  const x = need(ctx, 0);
  const shapeT = ctx.constant(1);
  if (!shapeT) return [{ dataType: x.dataType }];
  const target = tensorNumbers(shapeT);
  const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
  const out: Shape = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (!x.shape || i >= x.shape.length) fail(`shape entry ${i} is 0 but input rank is unknown or smaller`);
      return (x.shape as Shape)[i];
    }
    return d;
  });
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) fail('shape has more than one -1');
  if (x.shape && x.shape.every(isNum)) {
    const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
    const known = out.filter((d) => d !== -1);
    if (known.every(isNum)) {
      const prod = (known as number[]).reduce((a, b) => a * b, 1);
      if (neg === 1) {
        if (prod === 0 || total % prod !== 0) fail(`cannot reshape ${fmt(x.shape)} to [${target}]`);
        out[out.indexOf(-1)] = total / prod;
      } else if (prod !== total) {
        fail(`cannot reshape ${fmt(x.shape)} (${total} elements) to [${target}] (${prod})`);
      }
    }
  } else if (neg === 1) {
    out[out.indexOf(-1)] = `${ctx.node.name}_d`;
  }
  return [{ dataType: x.dataType, shape: out }];
};

const transpose: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  const perm = attrInts(ctx.node, 'perm') ?? [...Array(rank).keys()].reverse();
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail(`perm [${perm}] is not a permutation of rank ${rank} (input ${fmt(x.shape)})`);
  }
  return [{ dataType: x.dataType, shape: perm.map((p) => (x.shape as Shape)[p]) }];
};

const flatten: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const axis = attrInt(ctx.node, 'axis', 1);
  const a = axis < 0 ? axis + x.shape.length : axis;
  const prod = (s: Shape): Dim =>
    s.every(isNum) ? (s as number[]).reduce((p, q) => p * q, 1) : `${ctx.node.name}_d`;
  return [{ dataType: x.dataType, shape: [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))] }];
};

// Opsets where `axes` moved from attribute to input.
const AXES_INPUT_SINCE: Record<string, number> = { ReduceSum: 13, Squeeze: 13, Unsqueeze: 13 };

function axesOf(ctx: InferContext, inputIndex: number): number[] | undefined | null {
  const since = AXES_INPUT_SINCE[ctx.node.opType] ?? 18;
  if (ctx.opset >= since) {
    if (!ctx.inputs[inputIndex]) return undefined;
    const c = ctx.constant(inputIndex);
    return c ? tensorNumbers(c) : null; // null: axes given but not constant
  }
  return attrInts(ctx.node, 'axes');
}

const reduce: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const axes = axesOf(ctx, 1);
  if (axes === null) return [{ dataType: x.dataType }];
  const noop = attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1;
  if (!axes || axes.length === 0) {
    if (noop) return [x];
    return [{ dataType: x.dataType, shape: keep ? x.shape.map(() => 1) : [] }];
  }
  const set = new Set(axes.map((a) => normAxis(a, rank)));
  const out: Shape = [];
  x.shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ dataType: x.dataType, shape: out }];
};

const argReduce: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: 'int64' }];
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const out = x.shape.flatMap((d, i) => (i !== axis ? [d] : keep ? [1] : []));
  return [{ dataType: 'int64', shape: out }];
};

const resize: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  const axes = (attrInts(ctx.node, 'axes') ?? [...Array(rank).keys()]).map((a) => normAxis(a, rank));
  const out = [...x.shape];
  const sizes = ctx.inputs[3] ? ctx.constant(3) : undefined;
  const scales = ctx.inputs[2] ? ctx.constant(2) : undefined;
  if (sizes) {
    const s = tensorNumbers(sizes);
    if (s.length !== axes.length)
      fail(`sizes has ${s.length} entries for ${axes.length} axes (input ${fmt(x.shape)})`);
    axes.forEach((a, i) => (out[a] = s[i]));
  } else if (scales && scales.dims[0] !== 0) {
    const s = tensorNumbers(scales);
    if (s.length !== axes.length)
      fail(`scales has ${s.length} entries for ${axes.length} axes (input ${fmt(x.shape)})`);
    axes.forEach((a, i) => {
      const d = out[a];
      out[a] = isNum(d) ? Math.floor(d * s[i]) : `${ctx.node.name}_d${a}`;
    });
  } else if (ctx.inputs[3] || ctx.inputs[2]) {
    return [{ dataType: x.dataType, shape: x.shape.map((_, i) => `${ctx.node.name}_d${i}`) }];
  } else {
    fail('needs scales or sizes');
  }
  return [{ dataType: x.dataType, shape: out }];
};

const pad: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  let pads: number[] | undefined;
  if (ctx.opset >= 11) {
    const p = ctx.constant(1);
    if (!p) return [{ dataType: x.dataType, shape: x.shape.map((_, i) => `${ctx.node.name}_d${i}`) }];
    pads = tensorNumbers(p);
  } else {
    pads = attrInts(ctx.node, 'pads');
  }
  if (!pads) fail('pads are required');
  const axesT = ctx.inputs[3] ? ctx.constant(3) : undefined;
  const axes = axesT ? tensorNumbers(axesT).map((a) => normAxis(a, rank)) : [...Array(rank).keys()];
  const p = pads as number[];
  if (p.length !== 2 * axes.length)
    fail(`pads has ${p.length} entries, expected ${2 * axes.length} for input ${fmt(x.shape)}`);
  const out = [...x.shape];
  axes.forEach((a, i) => {
    const d = out[a];
    if (isNum(d)) {
      const o = d + p[i] + p[i + axes.length];
      if (o < 0) fail(`negative size on axis ${a}`);
      out[a] = o;
    }
  });
  return [{ dataType: x.dataType, shape: out }];
};

const slice: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  const get = (i: number) => (ctx.inputs[i] ? ctx.constant(i) : undefined);
  const startsT = get(1);
  const endsT = get(2);
  if (!startsT || !endsT || (ctx.inputs[3] && !get(3)) || (ctx.inputs[4] && !get(4))) {
    return [{ dataType: x.dataType, shape: x.shape.map((_, i) => `${ctx.node.name}_d${i}`) }];
  }
  const starts = tensorNumbers(startsT);
  const ends = tensorNumbers(endsT);
  const axesT = get(3);
  const stepsT = get(4);
  const axes = axesT ? tensorNumbers(axesT) : [...starts.keys()];
  const steps = stepsT ? tensorNumbers(stepsT) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    fail('starts, ends, axes and steps must have the same length');
  }
  const out = [...x.shape];
  axes.forEach((ax, i) => {
    const a = normAxis(ax, rank);
    const d = out[a];
    const step = steps[i];
    if (step === 0) fail('step must not be 0');
    if (!isNum(d)) {
      out[a] = `${ctx.node.name}_d${a}`;
      return;
    }
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      out[a] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      out[a] = Math.max(0, Math.ceil((s - e) / -step));
    }
  });
  return [{ dataType: x.dataType, shape: out }];
};

const topk: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: x.dataType }, { dataType: 'int64' }];
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.shape.length);
  const kT = ctx.constant(1);
  const out = [...x.shape];
  if (kT) {
    const k = tensorNumbers(kT)[0];
    const d = x.shape[axis];
    if (isNum(d) && k > d) fail(`k = ${k} exceeds axis ${axis} size ${d} (input ${fmt(x.shape)})`);
    out[axis] = k;
  } else {
    out[axis] = `${ctx.node.name}_k`;
  }
  return [
    { dataType: x.dataType, shape: out },
    { dataType: 'int64', shape: out },
  ];
};

const unsqueeze: Rule = (ctx) => {
  const x = need(ctx, 0);
  const axes = axesOf(ctx, 1);
  if (!x.shape || !axes) return [{ dataType: x.dataType }];
  const rank = x.shape.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, rank)));
  const out: Shape = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : x.shape[j++]);
  return [{ dataType: x.dataType, shape: out }];
};

const squeeze: Rule = (ctx) => {
  const x = need(ctx, 0);
  const axes = axesOf(ctx, 1);
  if (!x.shape || axes === null) return [{ dataType: x.dataType }];
  const rank = x.shape.length;
  const set = axes && axes.length ? new Set(axes.map((a) => normAxis(a, rank))) : undefined;
  const out = x.shape.filter((d, i) => {
    if (set) {
      if (set.has(i) && isNum(d) && d !== 1) fail(`cannot squeeze axis ${i} of size ${d}`);
      return !set.has(i);
    }
    return d !== 1;
  });
  return [{ dataType: x.dataType, shape: out }];
};

const gather: Rule = (ctx) => {
  const x = need(ctx, 0);
  const idx = need(ctx, 1);
  if (!x.shape || !idx.shape) return [{ dataType: x.dataType }];
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
  return [
    { dataType: x.dataType, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] },
  ];
};

const expand: Rule = (ctx) => {
  const x = need(ctx, 0);
  const s = ctx.constant(1);
  if (!s || !x.shape) return [{ dataType: x.dataType }];
  return [{ dataType: x.dataType, shape: broadcastShapes([x.shape, tensorNumbers(s)]) }];
};

const tile: Rule = (ctx) => {
  const x = need(ctx, 0);
  const r = ctx.constant(1);
  if (!r || !x.shape) return [{ dataType: x.dataType }];
  const reps = tensorNumbers(r);
  if (reps.length !== x.shape.length) fail(`repeats has ${reps.length} entries for input ${fmt(x.shape)}`);
  return [{ dataType: x.dataType, shape: x.shape.map((d, i) => (isNum(d) ? d * reps[i] : d)) }];
};

const DATA_TYPE_BY_CODE: Record<number, DataType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

const cast: Rule = (ctx) => {
  const x = need(ctx, 0);
  const to = attrInt(ctx.node, 'to') ?? fail('to is required');
  const t = DATA_TYPE_BY_CODE[to] ?? fail(`unsupported Cast target ${to}`);
  return [{ dataType: t, shape: x.shape }];
};

const constant: Rule = (ctx) => {
  const v = ctx.node.attrs.value;
  if (v?.type === 'tensor') return [{ dataType: v.value.dataType, shape: v.value.dims }];
  const vf = ctx.node.attrs.value_float;
  if (vf) return [{ dataType: 'float32', shape: [] }];
  const vi = ctx.node.attrs.value_int;
  if (vi) return [{ dataType: 'int64', shape: [] }];
  const vis = ctx.node.attrs.value_ints;
  if (vis?.type === 'ints') return [{ dataType: 'int64', shape: [vis.value.length] }];
  const vfs = ctx.node.attrs.value_floats;
  if (vfs?.type === 'floats') return [{ dataType: 'float32', shape: [vfs.value.length] }];
  return [undefined];
};

const constantOfShape: Rule = (ctx) => {
  const s = ctx.constant(0);
  const v = ctx.node.attrs.value;
  const t: DataType = v?.type === 'tensor' ? v.value.dataType : 'float32';
  return [{ dataType: t, shape: s ? tensorNumbers(s) : undefined }];
};

const shapeOp: Rule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [{ dataType: 'int64', shape: [`${ctx.node.name}_rank`] }];
  const rank = x.shape.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = norm(attrInt(ctx.node, 'start', 0));
  const end = norm(attrInt(ctx.node, 'end', rank));
  return [{ dataType: 'int64', shape: [Math.max(0, end - start)] }];
};

// Split: sizes from the constant `split` input (opset ≥ 13) or attribute, else equal parts.
const split: Rule = (ctx) => {
  const x = need(ctx, 0);
  const n = ctx.node.outputs.length;
  if (!x.shape) return ctx.node.outputs.map(() => ({ dataType: x.dataType }));
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
  const d = x.shape[axis];
  const sizesT = ctx.inputs[1] ? ctx.constant(1) : undefined;
  let sizes = sizesT ? tensorNumbers(sizesT) : attrInts(ctx.node, 'split');
  if (!sizes && isNum(d)) {
    const part = Math.ceil(d / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(part, d - i * part)));
  }
  if (sizes && sizes.length !== n) fail(`split has ${sizes.length} sizes for ${n} outputs`);
  if (sizes && isNum(d) && sizes.reduce((a, b) => a + b, 0) !== d)
    fail(`split sizes [${sizes}] do not add up to dim ${axis} = ${d}`);
  return ctx.node.outputs.map((_, i) => {
    const shape = [...(x.shape as Shape)];
    shape[axis] = sizes ? sizes[i] : `${ctx.node.name}_split${i}`;
    return { dataType: x.dataType, shape };
  });
};

const where: Rule = (ctx) => {
  const c = need(ctx, 0);
  const a = need(ctx, 1);
  const b = need(ctx, 2);
  if (c.dataType !== 'bool') fail('condition must be bool');
  if (a.dataType !== b.dataType) fail(`branch types differ (${a.dataType} vs ${b.dataType})`);
  return [{ dataType: a.dataType, shape: broadcastShapes([c.shape, a.shape, b.shape]) }];
};

const batchNorm: Rule = (ctx) => {
  const x = need(ctx, 0);
  const c = x.shape?.[1];
  for (let i = 1; i < 5; i++) {
    const s = ctx.inputs[i]?.shape;
    if (s && isNum(c) && isNum(s[0]) && (s.length !== 1 || s[0] !== c)) {
      fail(`parameter ${i} ${fmt(s)} must be [${c}]`);
    }
  }
  return [x];
};

const UNARY = [
  'Relu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Abs',
  'Identity',
  'LeakyRelu',
  'Erf',
  'Softplus',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Elu',
  'Selu',
  'HardSigmoid',
  'HardSwish',
  'Gelu',
  'Sin',
  'Cos',
  'Softmax',
  'LogSoftmax',
  'Dropout',
  'InstanceNormalization',
  'LayerNormalization',
  'LpNormalization',
  'LRN',
  'PRelu',
  'Celu',
  'Mish',
  'Not',
  'IsNaN',
  'IsInf',
];
const BINARY = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Mod', 'And', 'Or', 'Xor'];
const COMPARE = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'];
const REDUCE = [
  'ReduceMin',
  'ReduceMax',
  'ReduceMean',
  'ReduceSum',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceSumSquare',
  'ReduceLogSum',
  'ReduceLogSumExp',
];

export const SHAPE_RULES: Record<string, Rule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  AveragePool: pool,
  MaxPool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  MatMul: matmul,
  Gemm: gemm,
  Concat: concat,
  Reshape: reshape,
  Transpose: transpose,
  Flatten: flatten,
  ArgMin: argReduce,
  ArgMax: argReduce,
  Resize: resize,
  Pad: pad,
  Slice: slice,
  TopK: topk,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Gather: gather,
  Expand: expand,
  Tile: tile,
  Cast: cast,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shapeOp,
  Where: where,
  Split: split,
  BatchNormalization: batchNorm,
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BINARY.map((op) => [op, elementwise])),
  ...Object.fromEntries(COMPARE.map((op) => [op, compare])),
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
};

// PRelu/Clip/Dropout etc. have extra inputs; `same` only looks at input 0. Pow allows a different
// exponent type, so it must not use the equal-types check.
SHAPE_RULES.Pow = (ctx) => [
  { dataType: need(ctx, 0).dataType, shape: broadcastShapes([need(ctx, 0).shape, need(ctx, 1).shape]) },
];
