// Two-pair STPM model package: model.onnx (both pairs, combined map and score, one graph) and
// model.json in the shared schema; each pair's settings and training record go under `params`.
import type { ModelJson } from '../../models/schema';
import { buildModelJson, nchwInput, writePackage, type ExportOptions } from '../common';
import type { FittedStpm } from '../stpm/types';
import { STPM2_VERSION, type FittedStpm2 } from './types';

/** What this fit does differently from the published two-pair recipe (issue 16, docs/methods.md). */
function stpm2Deviations(m: FittedStpm2): string[] {
  const out = [
    `teachers ${m.pair1.backboneId} and ${m.pair2.backboneId} (bundled nsfwjs ImageNet layers, BatchNorm folded, input [0, 1]) instead of the paper's networks`,
    'students = each teacher graph up to its last tap with a BatchNorm after every convolution, randomly initialised; pair 2 adds channel + spatial attention on each tap',
    'spatial attention pools channel mean and channel root-mean-square (the engine has no ReduceMax gradient), not mean and max',
    "pair 2's synthetic anomalies: the station's DRAEM-style generator with the image itself as texture source (no DTD textures offline), half the samples left clean",
    'combination: per pair the STPM product map divided by that pair’s mean calibration score, then the mean of the two pairs; score = max',
    'score normalisation: min/max of the held-out good images',
  ];
  const c1 = m.pair1.config;
  if (c1.epochs !== 100 || c1.batchSize !== 32)
    out.push(`${c1.epochs} epochs of batch ${c1.batchSize} per pair instead of 100 of batch 32`);
  if (m.pair2.config.inputSize !== c1.inputSize)
    out.push(
      `pair 2 runs at ${m.pair2.config.inputSize} px (bilinear from the ${c1.inputSize} px input) to fit the CPU budget`,
    );
  if (m.config.combine !== 'both') out.push(`only ${m.config.combine} in the exported map (ablation)`);
  return out;
}

const pairParams = (p: FittedStpm, scale: number) => ({
  backbone: p.backboneId,
  inputSize: p.config.inputSize,
  taps: p.taps.map((t) => t.name),
  epochs: p.config.epochs,
  batchSize: p.config.batchSize,
  lr: p.config.lr,
  bestEpoch: p.bestEpoch,
  mapScale: scale,
  epochLosses: p.epochLosses,
  validationLosses: p.validationLosses,
});

export function buildStpm2ModelJson(m: FittedStpm2, opts: ExportOptions = {}): ModelJson {
  const p1 = m.pair1;
  return buildModelJson(
    {
      method: 'stpm2',
      version: STPM2_VERSION,
      backbone: { id: `${p1.backboneId}+${m.pair2.backboneId}`, taps: p1.taps },
      input: nchwInput(m.inputSize, m.preprocess),
      params: {
        preset: opts.preset ?? null,
        pair1: pairParams(p1, m.pairScales[0]),
        pair2: { ...pairParams(m.pair2, m.pairScales[1]), attentionReduction: m.config.attentionReduction },
        cleanProbability: m.config.cleanProbability,
        combine: m.config.combine,
        loss: 'per tap ½·mean over batch and positions of Σ_c (t̂ − ŝ)², summed over taps; pair 2 against the clean image’s teacher features',
        map: 'per pair: product over taps of 2 − 2·cos (bilinear to the finest tap grid), bilinear to the input, ÷ mapScale; mean over pairs',
        score: 'max of the map',
        seed: p1.config.seed,
      },
      deviations: stpm2Deviations(m),
      calibration: m.calibration,
      fingerprint: p1.fingerprint,
      trainImageCount: p1.trainImageCount + p1.validationImageCount,
      metrics: { fitTimingsMs: m.timings },
    },
    opts,
  );
}

export function exportStpm2(
  m: FittedStpm2,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writePackage(dir, m.modelBytes, buildStpm2ModelJson(m, opts));
}
