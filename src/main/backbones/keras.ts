// Keras (TF.js layers format) → ONNX converter for the convolutional trunks we use as frozen
// feature extractors. Layout changes once at the input (the graph takes NCHW), kernels are
// re-laid out to OIHW, BatchNormalization is folded into the preceding convolution, and the graph
// is cut right after the requested tap layers.
import { GraphBuilder } from '../onnx/builder';
import { float32Tensor } from '../onnx/tensor';
import type { Shape } from '../onnx/types';

/* eslint-disable @typescript-eslint/no-explicit-any -- Keras JSON configs are untyped by nature */
export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, any>;
  /** Keras 2 functional format: [[[inboundLayer, nodeIndex, tensorIndex, kwargs], ...]]. */
  inbound_nodes: any[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface KerasModelConfig {
  name?: string;
  layers: KerasLayer[];
  input_layers: Array<[string, number, number]>;
  output_layers: Array<[string, number, number]>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface KerasWeights {
  get(name: string): { shape: number[]; data: Float32Array } | undefined;
}

export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decodes the concatenated weight shards. TF.js stores weights back to back in manifest order;
 * quantised ones as uint8/uint16 codes with value = min + scale·code (float16 as IEEE halves).
 */
export function decodeWeights(
  manifest: WeightsManifestGroup[],
  data: Uint8Array,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  for (const spec of manifest.flatMap((g) => g.weights)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    const q = spec.quantization;
    const bytesPer = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    if (off + n * bytesPer > data.byteLength) {
      throw new ConversionError(
        `weight data ends inside '${spec.name}' (need ${off + n * bytesPer} bytes, have ${data.byteLength})`,
      );
    }
    if (q) {
      if (q.dtype === 'uint8' || q.dtype === 'uint16') {
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        for (let i = 0; i < n; i++) {
          const code = q.dtype === 'uint8' ? data[off + i] : view.getUint16(off + 2 * i, true);
          values[i] = min + scale * code;
        }
      } else if (q.dtype === 'float16') {
        for (let i = 0; i < n; i++) values[i] = halfToFloat(view.getUint16(off + 2 * i, true));
      } else {
        throw new ConversionError(`weight '${spec.name}' uses unsupported quantisation ${String(q.dtype)}`);
      }
    } else if (spec.dtype === 'float32') {
      for (let i = 0; i < n; i++) values[i] = view.getFloat32(off + 4 * i, true);
    } else if (spec.dtype === 'int32') {
      for (let i = 0; i < n; i++) values[i] = view.getInt32(off + 4 * i, true);
    } else {
      throw new ConversionError(`weight '${spec.name}' has unsupported dtype ${spec.dtype}`);
    }
    off += n * bytesPer;
    out.set(spec.name, { shape: spec.shape, data: values });
  }
  return out;
}

export interface ConvertOptions {
  /** Layer names whose outputs become graph outputs (same names, NCHW). */
  taps: string[];
  /** Input height and width; defaults to the model's batch_input_shape. */
  inputSize?: [number, number];
  /** Graph name. */
  name?: string;
  /** Name of the NCHW graph input. */
  inputName?: string;
}

export interface ConvertedGraph {
  graph: GraphBuilder;
  /** Shape of each tap output at the converted input size. */
  taps: Array<{ name: string; shape: Shape }>;
  /** Layers that made it into the graph, in order. */
  layers: string[];
}

const inboundNames = (l: KerasLayer): string[] => {
  if (!l.inbound_nodes || l.inbound_nodes.length === 0) return [];
  if (l.inbound_nodes.length > 1)
    throw new ConversionError(`layer '${l.name}' is shared (called more than once); not supported`);
  return (l.inbound_nodes[0] as unknown[][]).map((n) => {
    if (!Array.isArray(n) || typeof n[0] !== 'string')
      throw new ConversionError(`layer '${l.name}' has an inbound node format we do not read`);
    if (n[2] !== 0 && n[2] !== undefined)
      throw new ConversionError(`layer '${l.name}' reads output ${String(n[2])} of a multi-output layer`);
    return n[0];
  });
};

const pair = (v: unknown, what: string): [number, number] => {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  throw new ConversionError(`cannot read ${what} = ${JSON.stringify(v)}`);
};

/** TF "SAME" padding for one spatial dim: output ceil(in/s); the odd pixel goes at the end. */
export function tfSamePads(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const ek = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + ek - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** Converts the part of a Keras functional model needed to compute `opts.taps`. */
export function convertKerasModel(
  model: KerasModelConfig,
  weights: KerasWeights,
  opts: ConvertOptions,
): ConvertedGraph {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  if (opts.taps.length === 0) throw new ConversionError('no taps requested');
  for (const t of opts.taps) {
    if (!byName.has(t)) throw new ConversionError(`tap '${t}' is not a layer of model '${model.name ?? ''}'`);
  }

  // Walk back from the taps: only layers they depend on are converted.
  const needed = new Set<string>();
  const stack = [...opts.taps];
  while (stack.length) {
    const n = stack.pop() as string;
    if (needed.has(n)) continue;
    needed.add(n);
    const l = byName.get(n);
    if (!l) throw new ConversionError(`layer '${n}' is referenced but not defined`);
    stack.push(...inboundNames(l));
  }
  const order = model.layers.filter((l) => needed.has(l.name));
  const consumers = new Map<string, string[]>();
  for (const l of order)
    for (const i of inboundNames(l)) consumers.set(i, [...(consumers.get(i) ?? []), l.name]);
  const tapSet = new Set(opts.taps);

  const g = new GraphBuilder(opts.name ?? model.name ?? 'keras', { opset: 17 });
  const value = new Map<string, string>(); // Keras layer → ONNX value holding its (NCHW) output
  const folded = new Set<string>(); // BN layers already folded into their conv
  const inputName = opts.inputName ?? 'input';

  const w = (layer: string, param: string, required = true) => {
    const v = weights.get(`${layer}/${param}`);
    if (!v && required) throw new ConversionError(`weight '${layer}/${param}' is missing`);
    return v;
  };
  const inputOf = (l: KerasLayer, i = 0): string => {
    const src = inboundNames(l)[i];
    const v = src === undefined ? undefined : value.get(src);
    if (!v) throw new ConversionError(`layer '${l.name}' input ${i} ('${src}') was not converted`);
    return v;
  };
  const hw = (v: string): [number, number] => {
    const s = g.shapeOf(v);
    if (!s || typeof s[2] !== 'number' || typeof s[3] !== 'number')
      throw new ConversionError(`spatial size of '${v}' is not static`);
    return [s[2], s[3]];
  };

  /** BN as per-channel scale a and shift b: y = a·x + b. */
  const bnAffine = (bn: KerasLayer, channels: number) => {
    const c = bn.config;
    const axis = c.axis === undefined ? -1 : Array.isArray(c.axis) ? c.axis[0] : c.axis;
    if (axis !== -1 && axis !== 3)
      throw new ConversionError(
        `BatchNormalization '${bn.name}' normalises axis ${axis}; only channels-last (-1/3) is supported`,
      );
    const eps: number = c.epsilon ?? 1e-3;
    const gamma = c.scale === false ? undefined : w(bn.name, 'gamma')?.data;
    const beta = c.center === false ? undefined : w(bn.name, 'beta')?.data;
    const mean = w(bn.name, 'moving_mean')!.data;
    const vari = w(bn.name, 'moving_variance')!.data;
    if (mean.length !== channels)
      throw new ConversionError(
        `BatchNormalization '${bn.name}' has ${mean.length} channels, input has ${channels}`,
      );
    const a = new Float32Array(channels);
    const b = new Float32Array(channels);
    for (let i = 0; i < channels; i++) {
      a[i] = (gamma ? gamma[i] : 1) / Math.sqrt(vari[i] + eps);
      b[i] = (beta ? beta[i] : 0) - mean[i] * a[i];
    }
    return { a, b };
  };

  const applyActivation = (name: string, x: string, act: string | undefined, valueName: string): string => {
    switch (act ?? 'linear') {
      case 'linear':
        return x;
      case 'relu':
        return g.op('Relu', [x], {}, { name, outputs: [valueName] });
      case 'relu6':
        return g.op(
          'Clip',
          [x, g.constant(0, { name: `${name}/min` }), g.constant(6, { name: `${name}/max` })],
          {},
          { name, outputs: [valueName] },
        );
      case 'sigmoid':
        return g.op('Sigmoid', [x], {}, { name, outputs: [valueName] });
      case 'tanh':
        return g.op('Tanh', [x], {}, { name, outputs: [valueName] });
      case 'softmax':
        return g.op('Softmax', [x], { axis: 1 }, { name, outputs: [valueName] });
      default:
        throw new ConversionError(`activation '${act}' of layer '${name}' is not supported`);
    }
  };

  for (const l of order) {
    const c = l.config;
    if (c.data_format && c.data_format !== 'channels_last') {
      throw new ConversionError(`layer '${l.name}' uses ${c.data_format}; only channels_last is supported`);
    }
    switch (l.class_name) {
      case 'InputLayer': {
        const shape = c.batch_input_shape as (number | null)[];
        if (!shape || shape.length !== 4 || shape[3] !== 3)
          throw new ConversionError(`input '${l.name}' must be N×H×W×3, got ${JSON.stringify(shape)}`);
        const [h, wd] = opts.inputSize ?? [shape[1], shape[2]];
        if (!h || !wd) throw new ConversionError(`input '${l.name}' has no fixed size; pass inputSize`);
        value.set(l.name, g.input(inputName, 'float32', ['N', 3, h, wd]));
        break;
      }
      case 'ZeroPadding2D': {
        const p = c.padding;
        let top: number, bottom: number, left: number, right: number;
        if (typeof p === 'number') [top, bottom, left, right] = [p, p, p, p];
        else if (Array.isArray(p) && Array.isArray(p[0]))
          [[top, bottom], [left, right]] = p as [[number, number], [number, number]];
        else
          [[top, bottom], [left, right]] = [pair(p[0], 'padding'), pair(p[1], 'padding')].map((x) => [
            x[0],
            x[0],
          ]) as [[number, number], [number, number]];
        const x = inputOf(l);
        const pads = g.int64s([0, 0, top, left, 0, 0, bottom, right], `${l.name}/pads`);
        value.set(l.name, g.op('Pad', [x, pads], { mode: 'constant' }, { name: l.name, outputs: [l.name] }));
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        const x = inputOf(l);
        const xs = g.shapeOf(x);
        const cin = xs?.[1];
        if (typeof cin !== 'number') throw new ConversionError(`channels into '${l.name}' are unknown`);
        const kernel = w(l.name, depthwise ? 'depthwise_kernel' : 'kernel')!;
        const [kh, kw, kin, kout] = kernel.shape;
        if (kin !== cin)
          throw new ConversionError(`layer '${l.name}': kernel expects ${kin} input channels, got ${cin}`);
        const cout = depthwise ? kin * kout : kout;
        // HWIO (or HW·C·mult) → OIHW (depthwise: output channel = c·mult + m, group = C).
        const W = new Float32Array(cout * (depthwise ? 1 : cin) * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let xk = 0; xk < kw; xk++)
            for (let i = 0; i < kin; i++)
              for (let o = 0; o < kout; o++) {
                const src = kernel.data[((y * kw + xk) * kin + i) * kout + o];
                const dst = depthwise
                  ? ((i * kout + o) * kh + y) * kw + xk
                  : ((o * cin + i) * kh + y) * kw + xk;
                W[dst] = src;
              }
        const B = new Float32Array(cout);
        if (c.use_bias !== false) {
          const bias = w(l.name, 'bias')!;
          B.set(bias.data);
        }
        // Fold a following BatchNormalization when it is this conv's only reader and nobody taps the conv itself.
        const next = consumers.get(l.name) ?? [];
        const bn = next.length === 1 ? byName.get(next[0]) : undefined;
        const activation: string | undefined = c.activation;
        let outName = l.name;
        if (
          bn &&
          bn.class_name === 'BatchNormalization' &&
          !tapSet.has(l.name) &&
          (activation ?? 'linear') === 'linear'
        ) {
          const { a, b } = bnAffine(bn, cout);
          const per = W.length / cout;
          for (let o = 0; o < cout; o++) {
            for (let k = 0; k < per; k++) W[o * per + k] *= a[o];
            B[o] = B[o] * a[o] + b[o];
          }
          folded.add(bn.name);
          outName = bn.name;
        }
        const [sh, sw] = pair(c.strides ?? 1, 'strides');
        const [dh, dw] = pair(c.dilation_rate ?? 1, 'dilation_rate');
        let pads = [0, 0, 0, 0];
        if (c.padding === 'same') {
          const [ih, iw] = hw(x);
          const [pt, pb] = tfSamePads(ih, kh, sh, dh);
          const [pl, pr] = tfSamePads(iw, kw, sw, dw);
          pads = [pt, pl, pb, pr];
        } else if (c.padding !== 'valid') {
          throw new ConversionError(`layer '${l.name}' padding '${String(c.padding)}' is not supported`);
        }
        const wName = g.initializer(`${l.name}/W`, W, [cout, depthwise ? 1 : cin, kh, kw]);
        const bName = g.initializer(`${l.name}/B`, B, [cout]);
        const convOut = (activation ?? 'linear') === 'linear' ? outName : `${outName}/preact`;
        g.op(
          'Conv',
          [x, wName, bName],
          {
            kernel_shape: [kh, kw],
            strides: [sh, sw],
            dilations: [dh, dw],
            pads,
            group: depthwise ? cin : 1,
          },
          { name: l.name, outputs: [convOut] },
        );
        const out = applyActivation(`${l.name}/act`, convOut, activation, outName);
        value.set(l.name, out);
        if (folded.has(outName)) value.set(outName, out);
        break;
      }
      case 'BatchNormalization': {
        if (folded.has(l.name)) break;
        const x = inputOf(l);
        const ch = g.shapeOf(x)?.[1];
        if (typeof ch !== 'number') throw new ConversionError(`channels into '${l.name}' are unknown`);
        const { a, b } = bnAffine(l, ch);
        const aN = g.initializer(`${l.name}/scale`, float32Tensor(a, [ch, 1, 1]));
        const bN = g.initializer(`${l.name}/shift`, float32Tensor(b, [ch, 1, 1]));
        const m = g.op('Mul', [x, aN], {}, { name: `${l.name}/mul`, outputs: [`${l.name}/scaled`] });
        value.set(l.name, g.op('Add', [m, bN], {}, { name: l.name, outputs: [l.name] }));
        break;
      }
      case 'ReLU': {
        const x = inputOf(l);
        const max: number | null = c.max_value ?? null;
        const slope: number = c.negative_slope ?? 0;
        const threshold: number = c.threshold ?? 0;
        if (threshold !== 0)
          throw new ConversionError(`ReLU '${l.name}' with threshold ${threshold} is not supported`);
        if (slope !== 0) {
          if (max !== null)
            throw new ConversionError(
              `ReLU '${l.name}' with both negative_slope and max_value is not supported`,
            );
          value.set(l.name, g.op('LeakyRelu', [x], { alpha: slope }, { name: l.name, outputs: [l.name] }));
        } else if (max !== null) {
          const lo = g.constant(0, { name: `${l.name}/min` });
          const hi = g.constant(max, { name: `${l.name}/max` });
          value.set(l.name, g.op('Clip', [x, lo, hi], {}, { name: l.name, outputs: [l.name] }));
        } else {
          value.set(l.name, g.op('Relu', [x], {}, { name: l.name, outputs: [l.name] }));
        }
        break;
      }
      case 'Activation': {
        const x = inputOf(l);
        const out = applyActivation(l.name, x, c.activation, l.name);
        value.set(l.name, out === x ? g.op('Identity', [x], {}, { name: l.name, outputs: [l.name] }) : out);
        break;
      }
      case 'Add': {
        const ins = inboundNames(l).map((_, i) => inputOf(l, i));
        let acc = ins[0];
        for (let i = 1; i < ins.length; i++) {
          const last = i === ins.length - 1;
          acc = g.op(
            'Add',
            [acc, ins[i]],
            {},
            { name: last ? l.name : `${l.name}/${i}`, outputs: [last ? l.name : `${l.name}/${i}`] },
          );
        }
        value.set(l.name, acc);
        break;
      }
      case 'Concatenate': {
        const ins = inboundNames(l).map((_, i) => inputOf(l, i));
        const axis: number = c.axis ?? -1;
        // NHWC axis → NCHW axis.
        const map: Record<number, number> = { [-1]: 1, 3: 1, 1: 2, 2: 3, [-3]: 2, [-2]: 3 };
        const ax = map[axis];
        if (ax === undefined)
          throw new ConversionError(`Concatenate '${l.name}' on axis ${axis} is not supported`);
        value.set(l.name, g.op('Concat', ins, { axis: ax }, { name: l.name, outputs: [l.name] }));
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = inputOf(l);
        const [kh, kw] = pair(c.pool_size ?? 2, 'pool_size');
        const [sh, sw] = pair(c.strides ?? c.pool_size ?? 2, 'strides');
        let pads = [0, 0, 0, 0];
        if (c.padding === 'same') {
          const [ih, iw] = hw(x);
          const [pt, pb] = tfSamePads(ih, kh, sh);
          const [pl, pr] = tfSamePads(iw, kw, sw);
          pads = [pt, pl, pb, pr];
        } else if (c.padding !== 'valid') {
          throw new ConversionError(`layer '${l.name}' padding '${String(c.padding)}' is not supported`);
        }
        const isMax = l.class_name === 'MaxPooling2D';
        // TF averages over the valid (unpadded) window only, hence count_include_pad = 0;
        // ONNX MaxPool pads with -inf, which matches TF too.
        value.set(
          l.name,
          g.op(
            isMax ? 'MaxPool' : 'AveragePool',
            [x],
            isMax
              ? { kernel_shape: [kh, kw], strides: [sh, sw], pads }
              : { kernel_shape: [kh, kw], strides: [sh, sw], pads, count_include_pad: 0 },
            { name: l.name, outputs: [l.name] },
          ),
        );
        break;
      }
      case 'Dropout':
        value.set(l.name, g.op('Identity', [inputOf(l)], {}, { name: l.name, outputs: [l.name] }));
        break;
      default:
        throw new ConversionError(
          `layer '${l.name}' of class ${l.class_name} is not supported by the converter`,
        );
    }
  }

  const taps = opts.taps.map((t) => {
    const v = value.get(t);
    if (!v) throw new ConversionError(`tap '${t}' produced no value`);
    // Taps keep the layer's name even when the value got another one (e.g. an Identity-free alias).
    const out = v === t ? v : g.op('Identity', [v], {}, { name: `${t}/tap`, outputs: [t] });
    g.output(out);
    return { name: t, shape: g.shapeOf(out) ?? [] };
  });
  return { graph: g, taps, layers: order.map((l) => l.name) };
}
