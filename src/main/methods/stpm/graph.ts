// STPM graphs. The student is derived from the teacher's own ONNX graph: every teacher node up to
// the last tap is re-emitted, each convolution with fresh trainable weights followed by a
// BatchNorm (the bundled backbones are converted with BN folded into the convolutions; the
// trainable network needs it back). Pads, activations and residual additions are copied as they
// are, so the student has exactly the teacher's architecture.
//
// Map: per tap d = Σ_c (t̂ − ŝ)² = 2 − 2·cos (t̂, ŝ: features L2-normalised along channels),
// bilinearly upsampled to the finest tap's grid, multiplied across taps, upsampled to the input;
// image score = max of the map.
import { GraphBuilder } from '../../onnx/builder';
import type { ModelProto } from '../../onnx/schema';
import { batchNorm } from '../../engine/layers';
import { ModelBuilder } from '../../engine/model';
import { buildTrainingStep, type TrainingStepGraph } from '../../engine/train-step';
import type { OptimizerSpec } from '../../engine/optimizers';
import type { StpmTap } from './types';

export const INPUT = 'input';
export const ANOMALY_MAP = 'anomaly_map';
export const PRED_SCORE = 'pred_score';
export const LOSS = 'loss';
export const STUDENT_PREFIX = 'student.';
export const teacherInput = (i: number) => `teacher_${i}`;
export const distanceOutput = (i: number) => `distance_${i}`;

const EPS = 1e-12;

function ints(g: GraphBuilder, node: { attrs: Record<string, unknown> }, name: string): number[] | undefined {
  const a = node.attrs[name] as { type: string; value: number[] } | undefined;
  return a?.type === 'ints' ? a.value : undefined;
}

/**
 * Re-emits `teacher` (a backbone graph whose outputs include `taps`) into `mb` on `input` with
 * trainable convolutions; returns the student's value for each tap. Names get `prefix`.
 */
export function studentNetwork(
  mb: ModelBuilder,
  teacher: ModelProto,
  input: string,
  taps: readonly string[],
  prefix = STUDENT_PREFIX,
): string[] {
  const t = GraphBuilder.fromModel(teacher, { name: 'teacher' });
  t.pruneTo([...taps]);
  const g = mb.g;
  if (t.inputs.length !== 1) throw new Error(`teacher graph has ${t.inputs.length} inputs, expected 1`);
  const value = new Map<string, string>([[t.inputs[0].name, input]]);
  const resolve = (name: string): string => {
    if (name === '') return '';
    const v = value.get(name);
    if (v !== undefined) return v;
    const c = t.constValue(name);
    if (!c) throw new Error(`teacher value '${name}' is neither computed nor constant`);
    const copied = g.initializer(g.uniqueName(`${prefix}${name}`), c);
    value.set(name, copied);
    return copied;
  };
  for (const node of t.topologicalOrder()) {
    let out: string;
    if (node.opType === 'Conv') {
      const ws = t.staticShape(node.inputs[1]);
      const [cout, cinPerGroup, kh, kw] = ws;
      // torchvision's MobileNetV2 / ResNet init: Kaiming normal, fan_out, gain √2.
      const std = Math.sqrt(2 / (cout * kh * kw));
      const w = mb.param(`${prefix}${node.name}.weight`, [cout, cinPerGroup, kh, kw], {
        kind: 'normal',
        std,
      });
      const y = g.op('Conv', [resolve(node.inputs[0]), w], {
        kernel_shape: ints(g, node, 'kernel_shape') ?? [kh, kw],
        strides: ints(g, node, 'strides'),
        pads: ints(g, node, 'pads'),
        dilations: ints(g, node, 'dilations'),
        group: (node.attrs.group as { value: number } | undefined)?.value ?? 1,
      });
      out = batchNorm(mb, y, { name: `${prefix}${node.name}.bn`, channels: cout });
    } else {
      out = g.op(node.opType, node.inputs.map(resolve), node.attrs);
    }
    if (node.outputs.length !== 1) throw new Error(`teacher node ${node.name} has several outputs`);
    value.set(node.outputs[0], out);
  }
  return taps.map((name) => {
    const v = value.get(name);
    if (!v) throw new Error(`tap '${name}' is not computed by the teacher graph`);
    return v;
  });
}

/** Builds the student's tap values on `input` (default: studentNetwork; stpm2 adds attention). */
export type StudentFn = (
  mb: ModelBuilder,
  teacher: ModelProto,
  input: string,
  taps: readonly string[],
) => string[];

export const plainStudent: StudentFn = (mb, teacher, input, taps) => studentNetwork(mb, teacher, input, taps);

/** x / ‖x‖ along channels (axis 1). */
export function l2Normalise(g: GraphBuilder, x: string): string {
  const n = g.sqrt(g.add(g.reduce('ReduceSum', g.mul(x, x), [1], true), g.constant(EPS)));
  return g.div(x, n);
}

/** Σ_c (t̂ − ŝ)² = 2 − 2·cos, [N, 1, H, W]. */
export function tapDistance(g: GraphBuilder, teacher: string, student: string, name?: string): string {
  const d = g.sub(l2Normalise(g, teacher), l2Normalise(g, student));
  return g.reduce('ReduceSum', g.mul(d, d), [1], true, name);
}

/**
 * The paper's loss: per tap ½·mean over batch and positions of Σ_c (t̂ − ŝ)² (eq. 2 of Wang et al.
 * has 1/(2wh)), summed over taps. ½·(2 − 2cos) = the cosine distance 1 − cos.
 */
export function stpmLoss(g: GraphBuilder, distances: string[]): string {
  const terms = distances.map((d) => g.mul(g.reduce('ReduceMean', d, [0, 1, 2, 3], false), g.constant(0.5)));
  return terms.reduce((a, b) => g.add(a, b));
}

/**
 * Bilinear (half-pixel) resize of [N, C, from, from] to [N, C, to, to]. Integer ratios go by
 * scales; other ratios (InceptionV3's 60/29/14 grids) by explicit sizes, because
 * floor(from · (to/from)) in float32 can land one pixel short.
 */
export function resizeSquare(g: GraphBuilder, x: string, from: number, to: number, name?: string): string {
  if (from === to) return name ? g.identity(x, name) : x;
  const attrs = { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
  const opts = name ? { outputs: [name] } : {};
  if (Number.isInteger(to / from))
    return g.op(
      'Resize',
      [x, '', g.constant([1, 1, to / from, to / from], { name: 'map_scales' })],
      attrs,
      opts,
    );
  const nc = g.op('Slice', [
    g.op('Shape', [x]),
    g.constant([0], { dataType: 'int64' }),
    g.constant([2], { dataType: 'int64' }),
  ]);
  const sizes = g.concat([nc, g.constant([to, to], { dataType: 'int64' })], 0);
  return g.op('Resize', [x, '', '', sizes], attrs, opts);
}

/** Per-tap distance maps, each upsampled to the finest tap's grid, multiplied, upsampled to `outSize`. */
export function productMap(
  g: GraphBuilder,
  distances: string[],
  taps: StpmTap[],
  outSize: number,
  name?: string,
): string {
  const grid = Math.max(...taps.map((t) => t.size));
  const onGrid = distances.map((d, i) => resizeSquare(g, d, taps[i].size, grid));
  return resizeSquare(
    g,
    onGrid.reduce((a, b) => g.mul(a, b)),
    grid,
    outSize,
    name,
  );
}

/** Distance maps → anomaly_map [N, 1, S, S] (productMap) and pred_score [N] = max of the map. */
export function combineMaps(
  g: GraphBuilder,
  distances: string[],
  taps: StpmTap[],
  inputSize: number,
): {
  map: string;
  score: string;
} {
  const map = productMap(g, distances, taps, inputSize, ANOMALY_MAP);
  const score = g.reduce('ReduceMax', map, [1, 2, 3], false, PRED_SCORE);
  return { map, score };
}

export function stpmOptimizer(cfg: { momentum: number; weightDecay: number }): OptimizerSpec {
  return { kind: 'sgd', momentum: cfg.momentum, weightDecay: cfg.weightDecay };
}

/**
 * One SGD step of the student on a batch: inputs `input` [B, 3, S, S] and the teacher's taps
 * `teacher_i` (computed once per image outside the step: the teacher is frozen).
 */
export function buildStpmTrainingStep(
  teacher: ModelProto,
  taps: StpmTap[],
  inputSize: number,
  batch: number,
  cfg: { momentum: number; weightDecay: number },
  student: StudentFn = plainStudent,
): TrainingStepGraph {
  return buildTrainingStep({
    name: 'stpm_train_step',
    optimizer: stpmOptimizer(cfg),
    define: (mb) => {
      const x = mb.g.input(INPUT, 'float32', [batch, 3, inputSize, inputSize]);
      const ts = taps.map((t, i) =>
        mb.g.input(teacherInput(i), 'float32', [batch, t.channels, t.size, t.size]),
      );
      const ss = student(
        mb,
        teacher,
        x,
        taps.map((t) => t.name),
      );
      return {
        loss: stpmLoss(
          mb.g,
          ts.map((t, i) => tapDistance(mb.g, t, ss[i])),
        ),
      };
    },
  });
}

/**
 * Forward-only student (BN with running statistics) whose parameters are graph inputs, so one
 * session validates every epoch's weights. Outputs: `loss` (as in training) and `distance_i`
 * [N, 1, h_i, w_i], the per-tap maps the exported graph combines.
 */
export function buildStpmEvalGraph(
  teacher: ModelProto,
  taps: StpmTap[],
  inputSize: number,
  student: StudentFn = plainStudent,
): { model: ModelProto; paramNames: string[] } {
  const g = new GraphBuilder('stpm_eval');
  const mb = new ModelBuilder(g, { training: false });
  const x = g.input(INPUT, 'float32', ['N', 3, inputSize, inputSize]);
  const ts = taps.map((t, i) => g.input(teacherInput(i), 'float32', ['N', t.channels, t.size, t.size]));
  const ss = student(
    mb,
    teacher,
    x,
    taps.map((t) => t.name),
  );
  const ds = ts.map((t, i) => tapDistance(g, t, ss[i], distanceOutput(i)));
  const loss = g.identity(stpmLoss(g, ds), LOSS);
  for (const v of [loss, ...ds]) g.output(v);
  return { model: g.toModelProto(), paramNames: [...mb.params, ...mb.buffers].map((p) => p.name) };
}

/** Teacher features only (for fitting): outputs named as the taps. */
export function buildTeacherModel(teacher: ModelProto, taps: StpmTap[]): ModelProto {
  const g = GraphBuilder.fromModel(teacher, { name: 'stpm_teacher' });
  g.pruneTo(taps.map((t) => t.name));
  return g.toModelProto();
}

/** The exported model: input [N, 3, S, S] → anomaly_map [N, 1, S, S], pred_score [N]. */
export function buildStpmPackageModel(
  teacher: ModelProto,
  o: {
    taps: StpmTap[];
    inputSize: number;
    weights: ReadonlyMap<string, Float32Array>;
    student?: StudentFn;
  },
): ModelProto {
  const g = GraphBuilder.fromModel(teacher, { name: 'stpm' });
  const inputName = g.inputs[0].name;
  if (inputName !== INPUT) throw new Error(`teacher input is '${inputName}', expected '${INPUT}'`);
  const mb = new ModelBuilder(g, { training: false, values: o.weights });
  const ss = (o.student ?? plainStudent)(
    mb,
    teacher,
    INPUT,
    o.taps.map((t) => t.name),
  );
  const ds = o.taps.map((t, i) => tapDistance(g, t.name, ss[i]));
  const { map, score } = combineMaps(g, ds, o.taps, o.inputSize);
  g.pruneTo([map, score]);
  return g.toModelProto();
}
