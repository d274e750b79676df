// Two-pair STPM graphs: pair 2's reconstruction student (the teacher's architecture, then channel
// and spatial attention on each tap) and the exported graph that runs both pairs on one input.
//
// Attention (CBAM-style, per tap with C channels):
//   channel: a ← σ(W₂·relu(W₁·GAP(s) + b₁) + b₂), s ← a ⊙ s      (W₁: C → max(4, C/r))
//   spatial: m ← σ(conv7×7([mean_c s, rms_c s])),   s ← m ⊙ s
// The engine has no ReduceMax gradient, so the spatial branch pools the channel mean and the
// channel root-mean-square instead of mean and max (recorded in model.json deviations).
//
// Combined map: per pair the STPM product map at its input size, bilinearly resized to the
// package input and divided by that pair's mean calibration score; the final map is the mean of
// the two; image score = its max.
import { GraphBuilder } from '../../onnx/builder';
import type { ModelProto } from '../../onnx/schema';
import { conv2d } from '../../engine/layers';
import { ModelBuilder } from '../../engine/model';
import {
  ANOMALY_MAP,
  INPUT,
  PRED_SCORE,
  productMap,
  resizeSquare,
  studentNetwork,
  tapDistance,
  type StudentFn,
} from '../stpm/graph';
import type { StpmTap } from '../stpm/types';
import type { Stpm2Combine } from './types';

export const PAIR2_PREFIX = 'student2.';
const EPS = 1e-12;

/** CBAM-style attention on one tap value with `channels` channels. */
export function attention(
  mb: ModelBuilder,
  s: string,
  channels: number,
  reduction: number,
  name: string,
): string {
  const g = mb.g;
  const hidden = Math.max(4, Math.floor(channels / reduction));
  const gap = g.reduce('ReduceMean', s, [2, 3], true);
  const h = g.relu(
    conv2d(mb, gap, { name: `${name}.ca1`, inChannels: channels, outChannels: hidden, kernel: 1 }),
  );
  const a = g.op('Sigmoid', [
    conv2d(mb, h, { name: `${name}.ca2`, inChannels: hidden, outChannels: channels, kernel: 1 }),
  ]);
  const sc = g.mul(s, a);
  const mean = g.reduce('ReduceMean', sc, [1], true);
  const rms = g.sqrt(g.add(g.reduce('ReduceMean', g.mul(sc, sc), [1], true), g.constant(EPS)));
  const pooled = g.concat([mean, rms], 1);
  const m = g.op('Sigmoid', [
    conv2d(mb, pooled, { name: `${name}.sa`, inChannels: 2, outChannels: 1, kernel: 7, pad: 3 }),
  ]);
  return g.mul(sc, m);
}

/** Pair 2's student: the teacher's architecture (own parameter names) + attention on each tap. */
export function reconstructionStudent(taps: StpmTap[], reduction: number): StudentFn {
  return (mb, teacher, input, names) =>
    studentNetwork(mb, teacher, input, names, PAIR2_PREFIX).map((s, i) =>
      attention(mb, s, taps[i].channels, reduction, `${PAIR2_PREFIX}attention${i}`),
    );
}

/** Copies `model`'s nodes needed for `outputs` into `g` on `input`, names prefixed; returns the outputs. */
export function inlineNetwork(
  g: GraphBuilder,
  model: ModelProto,
  input: string,
  outputs: readonly string[],
  prefix: string,
): string[] {
  const t = GraphBuilder.fromModel(model, { name: prefix });
  t.pruneTo([...outputs]);
  if (t.inputs.length !== 1) throw new Error(`${prefix}: graph has ${t.inputs.length} inputs, expected 1`);
  const value = new Map<string, string>([[t.inputs[0].name, input]]);
  const resolve = (name: string): string => {
    if (name === '') return '';
    const v = value.get(name);
    if (v !== undefined) return v;
    const c = t.constValue(name);
    if (!c) throw new Error(`${prefix}: value '${name}' is neither computed nor constant`);
    const copied = g.initializer(g.uniqueName(`${prefix}${name}`), c);
    value.set(name, copied);
    return copied;
  };
  for (const node of t.topologicalOrder()) {
    if (node.outputs.length !== 1) throw new Error(`${prefix}: node ${node.name} has several outputs`);
    value.set(node.outputs[0], g.op(node.opType, node.inputs.map(resolve), node.attrs));
  }
  return outputs.map((o) => value.get(o)!);
}

export interface PairGraph {
  teacher: ModelProto;
  taps: StpmTap[];
  inputSize: number;
  weights: ReadonlyMap<string, Float32Array>;
  student: StudentFn;
  mean: [number, number, number];
  std: [number, number, number];
}

/** One pair's product map [N, 1, S, S] on the package input `x` (preprocessed with `pre`). */
function pairMap(
  g: GraphBuilder,
  x: string,
  pre: { mean: number[]; std: number[] },
  p: PairGraph,
  outSize: number,
  prefix: string,
): string {
  let xi = x;
  if (p.mean.some((m, c) => m !== pre.mean[c]) || p.std.some((s, c) => s !== pre.std[c])) {
    // Back to [0, 1] pixels, then this teacher's normalisation.
    const c4 = (v: number[]) => g.constant(v, { dims: [1, 3, 1, 1] });
    xi = g.div(g.sub(g.add(g.mul(xi, c4(pre.std)), c4(pre.mean)), c4(p.mean)), c4(p.std));
  }
  xi = resizeSquare(g, xi, outSize, p.inputSize);
  const names = p.taps.map((t) => t.name);
  const ts = inlineNetwork(g, p.teacher, xi, names, `${prefix}teacher/`);
  const mb = new ModelBuilder(g, { training: false, values: p.weights });
  const ss = p.student(mb, p.teacher, xi, names);
  const ds = ts.map((t, i) => tapDistance(g, t, ss[i]));
  return resizeSquare(g, productMap(g, ds, p.taps, p.inputSize), p.inputSize, outSize);
}

/**
 * The exported graph: input [N, 3, S, S] (pair 1's preprocessing) → anomaly_map [N, 1, S, S],
 * pred_score [N]. `scales` divide each pair's map (its mean calibration score).
 */
export function buildStpm2PackageModel(o: {
  pairs: [PairGraph, PairGraph];
  scales: [number, number];
  combine: Stpm2Combine;
}): ModelProto {
  const p1 = o.pairs[0];
  const S = p1.inputSize;
  const g = new GraphBuilder('stpm2');
  const x = g.input(INPUT, 'float32', ['N', 3, S, S]);
  const pre = { mean: p1.mean, std: p1.std };
  const use = o.combine === 'both' ? [0, 1] : o.combine === 'pair1' ? [0] : [1];
  const maps = use.map((k) =>
    g.mul(pairMap(g, x, pre, o.pairs[k], S, `pair${k + 1}.`), g.constant(1 / o.scales[k])),
  );
  const sum = maps.reduce((a, b) => g.add(a, b));
  const map = g.mul(sum, g.constant(1 / maps.length), ANOMALY_MAP);
  const score = g.reduce('ReduceMax', map, [1, 2, 3], false, PRED_SCORE);
  g.output(map);
  g.output(score);
  return g.toModelProto();
}
