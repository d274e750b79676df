// DRAEM model package: model.onnx (reconstructive + discriminative sub-networks + softmax map +
// mean-filtered max score, one graph, input in [0, 1]) and model.json in the shared schema.
import type { ModelJson } from '../../models/schema';
import { TEXTURE_KINDS } from '../../synthetic';
import { buildModelJson, nchwInput, writePackage, type ExportOptions } from '../common';
import { draemPreprocess } from './fit';
import { DEFAULT_DRAEM_CONFIG, DRAEM_VERSION, type FittedDraem } from './types';

/** Where this configuration departs from the paper's recipe, in words, for model.json. */
export function draemDeviations(m: FittedDraem): string[] {
  const c = m.config;
  const p = DEFAULT_DRAEM_CONFIG;
  const d = [
    `textures: procedural (${TEXTURE_KINDS.filter((k) => k !== 'user').join(', ')})${m.userTextureCount ? ` + ${m.userTextureCount} user images` : ''} instead of DTD, which cannot be downloaded offline`,
    'texture augmentations: Solarize always applies when drawn, Posterize draws 1–7 bits (src/main/synthetic/augment.ts)',
    'score normalisation: min/max of held-out good images (the paper reads the probability map directly)',
  ];
  if (c.inputSize !== p.inputSize) d.push(`input ${c.inputSize} px instead of ${p.inputSize}`);
  if (c.recBase !== p.recBase || c.discBase !== p.discBase)
    d.push(`base widths ${c.recBase}/${c.discBase} instead of ${p.recBase}/${p.discBase}`);
  if (c.scoreFilter !== p.scoreFilter)
    d.push(
      `score mean filter ${c.scoreFilter}×${c.scoreFilter} (the paper's 21×21 scaled to the ${c.inputSize}-px input)`,
    );
  if (c.trainSamples)
    d.push(`${m.steps} steps (${c.trainSamples} simulated samples) instead of ${p.epochs} epochs`);
  else if (c.epochs !== p.epochs) d.push(`${c.epochs} epochs instead of ${p.epochs}`);
  if (c.lr !== p.lr) d.push(`learning rate ${c.lr} instead of ${p.lr}`);
  return d;
}

/** params.preset is the fitted one (the preset in `opts` is the same name, from the request). */
export function buildDraemModelJson(m: FittedDraem, opts: ExportOptions = {}): ModelJson {
  const c = m.config;
  return buildModelJson(
    {
      method: 'draem',
      version: DRAEM_VERSION,
      // DRAEM trains its own networks from scratch: no pretrained backbone.
      backbone: { id: 'none', taps: [] },
      input: nchwInput(c.inputSize, draemPreprocess(c.inputSize)),
      deviations: draemDeviations(m),
      params: {
        preset: m.preset,
        reconstructive: { baseWidth: c.recBase, widths: [1, 2, 4, 8, 8].map((k) => k * c.recBase) },
        discriminative: { baseWidth: c.discBase, widths: [1, 2, 4, 8, 8, 8].map((k) => k * c.discBase) },
        loss: 'L2 + (1 − SSIM, window 11, σ 1.5) + focal (γ 2)',
        optimizer: {
          kind: 'adam',
          lr: c.lr,
          batch: c.batch,
          epochs: m.epochs,
          steps: m.steps,
          milestones: c.lrMilestones,
          gamma: c.lrGamma,
        },
        simulation: {
          cleanProbability: c.cleanProbability,
          preRotateProbability: c.preRotateProbability,
          perlinScales: '2^k, k ∈ 0…5, rotated ±90°, threshold 0.5',
          maxBeta: 0.8,
          augmentations: 3,
          userTextures: m.userTextureCount,
        },
        seed: c.seed,
        map: 'softmax channel 1 of the discriminative network',
        score: `max of the map after a ${c.scoreFilter}×${c.scoreFilter} mean filter (stride 1, zero padding counted)`,
      },
      calibration: m.calibration,
      // Scores are probabilities: [0, 1] is their range when calibration gives none.
      scoreRange: [0, 1],
      fingerprint: m.fingerprint,
      trainImageCount: m.trainImageCount,
      metrics: {
        finalLoss: m.epochLosses.at(-1) ?? null,
        finalLossTerms: m.lossTerms,
        epochLosses: m.epochLosses,
        fitTimingsMs: m.timings,
      },
    },
    opts,
  );
}

/** Writes `dir`/model.onnx and `dir`/model.json, each through a temp file + rename. */
export function exportDraem(
  m: FittedDraem,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writePackage(dir, m.modelBytes, buildDraemModelJson(m, opts));
}
