// STPM model package: model.onnx (teacher + student + map + score, one graph) and model.json in
// the shared schema (src/main/models/schema.ts); method-specific settings go under `params`.
import { modelJsonSchema, type ModelJson } from '../../models/schema';
import { minmaxNormalisation, writeModelPackage } from './fit-support';
import { STPM_VERSION, type FittedStpm } from './types';

export interface StpmExportOptions {
  /** Normalised thresholds; default t1 = 1 (worst good calibration image), t2 = 1.5, as PatchCore. */
  thresholds?: { t1: number; t2: number };
  metrics?: Record<string, unknown>;
  createdAt?: Date;
  preset?: string;
}

/** What this fit does differently from the published recipe (docs/methods.md "STPM"). */
function stpmDeviations(m: FittedStpm): string[] {
  const c = m.config;
  const out = [
    `teacher ${m.backboneId} (bundled nsfwjs ImageNet layers, BatchNorm folded) instead of ResNet18, taps ${m.taps.map((t) => t.name).join(', ')}`,
    'student = the teacher graph up to the last tap with a BatchNorm after every convolution, randomly initialised',
    'input in [0, 1] without ImageNet mean/std (what the nsfwjs weights expect)',
  ];
  if (c.epochs !== 100 || c.batchSize !== 32)
    out.push(
      `${c.epochs} epochs of batch ${c.batchSize} instead of 100 of batch 32 (see docs/benchmarks.md "STPM")`,
    );
  return out;
}

export function buildStpmModelJson(m: FittedStpm, opts: StpmExportOptions = {}): ModelJson {
  const c = m.config;
  return modelJsonSchema.parse({
    format: 'inspection-model',
    formatVersion: 1,
    method: 'stpm',
    version: STPM_VERSION,
    backbone: { id: m.backboneId, taps: m.taps },
    input: {
      name: 'input',
      layout: 'NCHW',
      width: c.inputSize,
      height: c.inputSize,
      resize: m.preprocess.resize,
      mean: m.preprocess.mean,
      std: m.preprocess.std,
      channelOrder: 'RGB',
    },
    outputs: { score: 'pred_score', map: 'anomaly_map' },
    params: {
      preset: opts.preset ?? null,
      taps: m.taps.map((t) => t.name),
      loss: 'per tap ½·mean over batch and positions of Σ_c (t̂ − ŝ)², summed over taps',
      optimizer: {
        kind: 'sgd',
        lr: c.lr,
        momentum: c.momentum,
        weightDecay: c.weightDecay,
        epochs: c.epochs,
        batchSize: c.batchSize,
      },
      bestEpoch: m.bestEpoch,
      seed: c.seed,
      map: 'per tap 2 − 2·cos, bilinear to the finest tap grid, product over taps, bilinear to the input',
      score: 'max of the map',
    },
    deviations: stpmDeviations(m),
    normalisation: minmaxNormalisation(m.calibration),
    thresholds: opts.thresholds ?? { t1: 1, t2: 1.5 },
    training: {
      fingerprint: m.fingerprint,
      // Every good image given to the fit: trained on, or held out to choose the kept epoch.
      imageCount: m.trainImageCount + m.validationImageCount,
      calibrationCount: m.calibration.count,
      calibrationSource: m.calibration.source,
    },
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
    metrics: {
      calibration: {
        count: m.calibration.count,
        min: m.calibration.min,
        max: m.calibration.max,
        mean: m.calibration.mean,
      },
      epochLosses: m.epochLosses,
      validationLosses: m.validationLosses,
      fitTimingsMs: m.timings,
      ...(opts.metrics ?? {}),
    },
  });
}

export function exportStpm(
  m: FittedStpm,
  dir: string,
  opts: StpmExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writeModelPackage(dir, m.modelBytes, buildStpmModelJson(m, opts));
}
