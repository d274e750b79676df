// STPM model package: model.onnx (teacher + student + map + score, one graph) and model.json in
// the shared schema (src/main/models/schema.ts); method-specific settings go under `params`.
import type { ModelJson } from '../../models/schema';
import { buildModelJson, nchwInput, writePackage, type ExportOptions } from '../common';
import { STPM_VERSION, type FittedStpm } from './types';

/** What this fit does differently from the published recipe (docs/methods.md "STPM"). */
function stpmDeviations(m: FittedStpm): string[] {
  const c = m.config;
  const out = [
    `teacher ${m.backboneId} (bundled nsfwjs ImageNet layers, BatchNorm folded) instead of ResNet18, taps ${m.taps.map((t) => t.name).join(', ')}`,
    'student = the teacher graph up to the last tap with a BatchNorm after every convolution, randomly initialised',
    'input in [0, 1] without ImageNet mean/std (what the nsfwjs weights expect)',
    `the ${m.validationImageCount} held-out good images that choose the kept epoch also set the score normalisation (min/max)`,
  ];
  if (c.epochs !== 100 || c.batchSize !== 32)
    out.push(
      `${c.epochs} epochs of batch ${c.batchSize} instead of 100 of batch 32 (see docs/benchmarks.md "STPM")`,
    );
  return out;
}

export function buildStpmModelJson(m: FittedStpm, opts: ExportOptions = {}): ModelJson {
  const c = m.config;
  return buildModelJson(
    {
      method: 'stpm',
      version: STPM_VERSION,
      backbone: { id: m.backboneId, taps: m.taps },
      input: nchwInput(c.inputSize, m.preprocess),
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
      calibration: m.calibration,
      fingerprint: m.fingerprint,
      // Every good image given to the fit: trained on, or held out to choose the kept epoch.
      trainImageCount: m.trainImageCount + m.validationImageCount,
      metrics: {
        epochLosses: m.epochLosses,
        validationLosses: m.validationLosses,
        fitTimingsMs: m.timings,
      },
    },
    opts,
  );
}

export function exportStpm(
  m: FittedStpm,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writePackage(dir, m.modelBytes, buildStpmModelJson(m, opts));
}
