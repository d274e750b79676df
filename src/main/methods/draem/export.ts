// DRAEM model package: model.onnx (reconstructive + discriminative sub-networks + softmax map +
// mean-filtered max score, one graph, input in [0, 1]) and model.json in the shared schema.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelJsonSchema, type ModelJson } from '../../models/schema';
import { TEXTURE_KINDS } from '../../synthetic';
import { DEFAULT_DRAEM_CONFIG, DRAEM_VERSION, type FittedDraem } from './types';

export interface DraemExportOptions {
  /** Normalised thresholds; default t1 = 1 (worst good calibration image), t2 = 1.5, as PatchCore. */
  thresholds?: { t1: number; t2: number };
  metrics?: Record<string, unknown>;
  createdAt?: Date;
}

/** Where this configuration departs from the paper's recipe, in words, for model.json. */
export function draemDeviations(m: FittedDraem): string[] {
  const c = m.config;
  const p = DEFAULT_DRAEM_CONFIG;
  const d = [
    `textures: procedural (${TEXTURE_KINDS.filter((k) => k !== 'user').join(', ')})${m.userTextureCount ? ` + ${m.userTextureCount} user images` : ''} instead of DTD, which cannot be downloaded offline`,
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

export function draemNormalisation(cal: FittedDraem['calibration']): {
  method: 'minmax';
  min: number;
  max: number;
} {
  // Scores are probabilities; [0, 1] is the natural range when calibration gives none.
  if (cal.count === 0 || !(cal.max > cal.min)) return { method: 'minmax', min: 0, max: 1 };
  return { method: 'minmax', min: cal.min, max: cal.max };
}

export function buildDraemModelJson(m: FittedDraem, opts: DraemExportOptions = {}): ModelJson {
  const c = m.config;
  return modelJsonSchema.parse({
    format: 'inspection-model',
    formatVersion: 1,
    method: 'draem',
    version: DRAEM_VERSION,
    // DRAEM trains its own networks from scratch: no pretrained backbone.
    backbone: { id: 'none', taps: [] },
    input: {
      name: 'input',
      layout: 'NCHW',
      width: c.inputSize,
      height: c.inputSize,
      resize: 0,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      channelOrder: 'RGB',
    },
    outputs: { score: 'pred_score', map: 'anomaly_map' },
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
    normalisation: draemNormalisation(m.calibration),
    thresholds: opts.thresholds ?? { t1: 1, t2: 1.5 },
    training: {
      fingerprint: m.fingerprint,
      imageCount: m.trainImageCount,
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
      finalLoss: m.epochLosses.at(-1) ?? null,
      finalLossTerms: m.lossTerms,
      epochLosses: m.epochLosses,
      fitTimingsMs: m.timings,
      ...(opts.metrics ?? {}),
    },
  });
}

/** Writes `dir`/model.onnx and `dir`/model.json, each through a temp file + rename. */
export async function exportDraem(
  m: FittedDraem,
  dir: string,
  opts: DraemExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  const json = buildDraemModelJson(m, opts);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx.tmp'), m.modelBytes);
  await rename(join(dir, 'model.onnx.tmp'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json.tmp'), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
  return { dir, json, bytes: m.modelBytes.length };
}
