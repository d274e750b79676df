// How the `fast` and `fine` presets shrink patch features (576-d with MobileNetV2) before the bank.
//
// Default: onto the principal axes of an evenly spread sample of the training patches. Nearest-
// neighbour distances in 128 dimensions then keep the directions along which good patches actually
// vary; a random Gaussian map (the earlier rule, still selectable as 'gaussian') spreads its 128
// dimensions over all 576 alike. With the same bank the principal axes close the gap to the full
// width on small training sets (docs/benchmarks.md "Default preset: principal axes").
import type { ModelProto } from '../../onnx/schema';
import { serializeModel } from '../../onnx/serialize';
import { preprocessBatch, type ImageInput } from '../../models/preprocess';
import { createSession, float32Tensor } from '../../runtime';
import { createRng, gaussianMatrix } from '../../util/rng';
import { principalAxes } from '../common/principal-axes';
import { StageClock, type StageProgress } from '../common/progress';
import type { BackboneSource } from '../types';
import { buildFeatureModel, featureGrid, rawDim as rawDimOf } from './graph';
import { featureSpecOf } from './scorer';
import type { PatchCoreConfig } from './types';

/** Patches the covariance is estimated from: ample for 576 dims, and bounded in memory (115 MB at 576). */
export const PCA_SAMPLE_PATCHES = 50_000;

export type ReductionInfo =
  | { kind: 'pca'; dim: number; sampleImages: number; samplePatches: number; explained: number }
  | { kind: 'gaussian-random'; dim: number; seed: number };

export interface Reduction {
  /** Row-major [rawDim, dim]. */
  matrix: Float32Array;
  info: ReductionInfo;
}

export interface ReductionInput {
  cfg: PatchCoreConfig;
  backbone: BackboneSource;
  backboneProto: ModelProto;
  /** The fitted images; the sample is spread evenly over them. */
  images: ImageInput[];
  intraOpNumThreads?: number;
  /** Throws when the fit is cancelled; called between sample batches. */
  checkCancel?: () => void;
  /** Sample images through the backbone so far (the eigen-decomposition follows the last). */
  onProgress?: (p: StageProgress<'reduction'>) => void;
}

/** The reduction the config asks for, or null when features keep their full width. */
export async function fitReduction(input: ReductionInput): Promise<Reduction | null> {
  const { cfg } = input;
  const raw = rawDimOf(input.backbone);
  // A backbone with no more dimensions than asked for keeps them all: projecting adds nothing.
  if (cfg.reduceDim <= 0 || cfg.reduceDim >= raw) return null;
  if (cfg.reduceBasis === 'gaussian') {
    const seed = cfg.seed + 1;
    return {
      matrix: gaussianMatrix(createRng(seed), raw, cfg.reduceDim),
      info: { kind: 'gaussian-random', dim: cfg.reduceDim, seed },
    };
  }
  const spec = featureSpecOf({ backbone: input.backbone, reduction: null, config: cfg });
  const { h, w } = featureGrid(spec);
  const sample = spread(input.images, Math.max(1, Math.ceil(PCA_SAMPLE_PATCHES / (h * w))));
  const { session } = await createSession(serializeModel(buildFeatureModel(input.backboneProto, spec)), {
    providerOrder: ['cpu'],
    intraOpNumThreads: input.intraOpNumThreads,
  });
  const rows = new Float32Array(sample.length * h * w * raw);
  const clock = new StageClock('reduction', sample.length, input.onProgress);
  clock.report(0);
  try {
    for (let i = 0; i < sample.length; i += cfg.batchSize) {
      input.checkCancel?.();
      const batch = sample.slice(i, i + cfg.batchSize);
      const x = await preprocessBatch(batch, input.backbone.preprocess);
      const s = spec.inputSize;
      const out = await session.run({ [spec.inputName]: float32Tensor(x, [batch.length, 3, s, s]) });
      rows.set(out.features.data as Float32Array, i * h * w * raw);
      clock.report(Math.min(i + cfg.batchSize, sample.length));
    }
  } finally {
    await session.release();
  }
  const axes = await principalAxes(rows, raw, cfg.reduceDim, input.intraOpNumThreads);
  return {
    matrix: axes.matrix,
    info: {
      kind: 'pca',
      dim: cfg.reduceDim,
      sampleImages: sample.length,
      samplePatches: sample.length * h * w,
      explained: axes.explained,
    },
  };
}

/** At most `n` items spread evenly over the list (all of it when shorter). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}
