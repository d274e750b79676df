// DFR graphs. Fit and export share the feature part (backbone → regional features), so the
// features the autoencoder is trained on are bit-identical to those it scores at run time.
//
// Regional features: the paper upsamples every tap bilinearly to the input size and then
// mean-pools 4×4 with stride 4. Both steps are linear and separable, so per tap and axis they
// collapse into one [grid, tapSize] matrix M = P·U (U: bilinear half-pixel upsampling to the input
// size, P: 4×4 mean pooling); features = M_h · X · M_wᵀ, two small MatMuls. This is the same
// arithmetic (not an approximation) without ever materialising the 256×256×C upsampled maps.
import { GraphBuilder } from '../../onnx/builder';
import type { ModelProto } from '../../onnx/schema';
import { batchNorm, linear } from '../../engine/layers';
import { mseLoss } from '../../engine/losses';
import { ModelBuilder } from '../../engine/model';
import { interpolationMatrix, matMul, meanPoolMatrix, transposeMatrix } from '../../engine/interp';
import { buildTrainingStep, type TrainingStepGraph } from '../../engine/train-step';
import type { DfrTap } from './types';

export const INPUT = 'input';
export const FEATURES_NHWC = 'features_nhwc';

/** [grid, size] matrix: bilinear (half-pixel) upsampling size → input, then mean pooling input → grid. */
export function regionalMatrix(size: number, inputSize: number, grid: number): Float32Array {
  const k = inputSize / grid;
  if (!Number.isInteger(k)) throw new Error(`input ${inputSize} is not a multiple of the grid ${grid}`);
  const up = interpolationMatrix(size, inputSize, { mode: 'linear', coordinateMode: 'half_pixel' });
  return matMul(meanPoolMatrix(inputSize, k), up, grid, inputSize, size);
}

/**
 * Appends the regional feature pyramid to a backbone graph whose outputs include the taps;
 * returns the [N, C, grid, grid] value.
 */
export function appendRegionalFeatures(
  g: GraphBuilder,
  taps: DfrTap[],
  inputSize: number,
  grid: number,
): string {
  const parts = taps.map((t) => {
    const m = regionalMatrix(t.size, inputSize, grid);
    const mh = g.initializer(g.uniqueName(`${t.name}_rh`), m, [grid, t.size]);
    const mwt = g.initializer(g.uniqueName(`${t.name}_rwt`), transposeMatrix(m, grid, t.size), [
      t.size,
      grid,
    ]);
    return g.matmul(mh, g.matmul(t.name, mwt));
  });
  return parts.length === 1 ? parts[0] : g.concat(parts, 1);
}

/** Backbone + regional features, output [N, grid, grid, C] (rows = locations) for fitting. */
export function buildFeatureModel(
  backbone: ModelProto,
  taps: DfrTap[],
  inputSize: number,
  grid: number,
): ModelProto {
  const g = GraphBuilder.fromModel(backbone, { name: 'dfr_features' });
  const f = appendRegionalFeatures(g, taps, inputSize, grid);
  const nhwc = g.transpose(f, [0, 2, 3, 1], FEATURES_NHWC);
  g.pruneTo([nhwc]);
  return g.toModelProto();
}

/** Layer widths of the paper's autoencoder: C → m → 2d → d → 2d → m → C, m = ⌊(C + 2d)/2⌋. */
export function aeWidths(c: number, d: number): number[] {
  const m = Math.floor((c + 2 * d) / 2);
  return [c, m, 2 * d, d, 2 * d, m, c];
}

/**
 * The 1×1-conv autoencoder on rows x [R, C] (a 1×1 conv over N×H×W locations is exactly a matrix
 * product over their rows; BN statistics over N·H·W locations = over rows). Hidden layers are
 * Linear + BN + ReLU; the bottleneck and output layers are plain Linear, as in the authors' code.
 */
export function autoencoder(mb: ModelBuilder, x: string, c: number, d: number): string {
  const w = aeWidths(c, d);
  let h = x;
  for (let i = 0; i < w.length - 1; i++) {
    const name = `${i < 3 ? 'enc' : 'dec'}${i}`;
    h = linear(mb, h, { name, inFeatures: w[i], outFeatures: w[i + 1] });
    const last = i === 2 || i === w.length - 2;
    if (!last) h = mb.g.relu(batchNorm(mb, h, { name: `${name}.bn`, channels: w[i + 1] }));
  }
  return h;
}

/** One Adam step of the autoencoder on a batch of `rows` feature vectors, MSE to the input. */
export function buildDfrTrainingStep(c: number, d: number, rows: number): TrainingStepGraph {
  return buildTrainingStep({
    name: 'dfr_train_step',
    optimizer: { kind: 'adam' },
    define: (mb) => {
      const x = mb.g.input('x', 'float32', [rows, c]);
      return { loss: mseLoss(mb.g, autoencoder(mb, x, c, d), x) };
    },
  });
}

/**
 * The exported model: input [N, 3, S, S] → anomaly_map [N, 1, S, S] (per-location squared error,
 * mean over channels, bilinearly upsampled) and pred_score [N] (max of the map).
 */
export function buildDfrPackageModel(
  backbone: ModelProto,
  o: {
    taps: DfrTap[];
    inputSize: number;
    grid: number;
    channels: number;
    latentDim: number;
    weights: ReadonlyMap<string, Float32Array>;
  },
): ModelProto {
  const g = GraphBuilder.fromModel(backbone, { name: 'dfr' });
  const feats = appendRegionalFeatures(g, o.taps, o.inputSize, o.grid);
  const rows = g.reshape(g.transpose(feats, [0, 2, 3, 1]), [-1, o.channels]);
  const mb = new ModelBuilder(g, { training: false, values: o.weights });
  const rec = autoencoder(mb, rows, o.channels, o.latentDim);
  const diff = g.sub(rows, rec);
  const err = g.reduce('ReduceMean', g.mul(diff, diff), [1], false);
  const grid = g.reshape(err, [-1, 1, o.grid, o.grid]);
  const scale = o.inputSize / o.grid;
  const map = g.op(
    'Resize',
    [grid, '', g.constant([1, 1, scale, scale], { name: 'map_scales' })],
    { mode: 'linear', coordinate_transformation_mode: 'half_pixel' },
    { outputs: ['anomaly_map'] },
  );
  const score = g.reduce('ReduceMax', map, [1, 2, 3], false, 'pred_score');
  g.pruneTo([map, score]);
  return g.toModelProto();
}
