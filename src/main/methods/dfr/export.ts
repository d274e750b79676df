// DFR model package: model.onnx (backbone + regional features + autoencoder + map + score, one
// graph) and model.json in the shared schema (src/main/models/schema.ts); no schema change needed:
// method-specific settings go under `params`.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelJsonSchema, type ModelJson } from '../../models/schema';
import { aeWidths } from './graph';
import { DFR_VERSION, type FittedDfr } from './types';

export interface DfrExportOptions {
  /** Normalised thresholds; default t1 = 1 (worst good calibration image), t2 = 1.5, as PatchCore. */
  thresholds?: { t1: number; t2: number };
  metrics?: Record<string, unknown>;
  createdAt?: Date;
  preset?: string;
}

export function dfrNormalisation(cal: FittedDfr['calibration']): {
  method: 'minmax';
  min: number;
  max: number;
} {
  // Reconstruction errors are ≥ 0, so 0 is the natural floor when calibration gives no range.
  if (cal.count === 0 || !(cal.max > cal.min))
    return { method: 'minmax', min: 0, max: cal.count > 0 && cal.max > 0 ? cal.max : 1 };
  return { method: 'minmax', min: cal.min, max: cal.max };
}

export function buildDfrModelJson(m: FittedDfr, opts: DfrExportOptions = {}): ModelJson {
  const c = m.config;
  return modelJsonSchema.parse({
    format: 'inspection-model',
    formatVersion: 1,
    method: 'dfr',
    version: DFR_VERSION,
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
      deviation: 'backbone MobileNetV2 (nsfwjs ImageNet layers) instead of VGG19; see docs/methods.md DFR',
      gridSize: c.gridSize,
      regional:
        'bilinear half-pixel upsampling of each tap to the input size + 4×4 mean pool, applied as one matrix per axis',
      channels: m.channels,
      latentDim: m.latentDim,
      varianceKept: c.latentDim ? null : c.varianceKept,
      explainedVariance: Number.isFinite(m.explainedVariance) ? m.explainedVariance : null,
      autoencoder: { widths: aeWidths(m.channels, m.latentDim), norm: 'batchnorm', activation: 'relu' },
      optimizer: { kind: 'adam', lr: c.lr, epochs: c.epochs, batchRows: c.batchRows },
      rowsPerImage: Math.floor(m.trainRows / Math.max(1, m.trainImageCount)),
      trainRows: m.trainRows,
      seed: c.seed,
      map: 'per-location squared error, mean over channels, bilinear upsampling to the input',
      score: 'max of the map',
    },
    normalisation: dfrNormalisation(m.calibration),
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
      epochLosses: m.epochLosses,
      fitTimingsMs: m.timings,
      ...(opts.metrics ?? {}),
    },
  });
}

/** Writes `dir`/model.onnx and `dir`/model.json, each through a temp file + rename. */
export async function exportDfr(
  m: FittedDfr,
  dir: string,
  opts: DfrExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  const json = buildDfrModelJson(m, opts);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx.tmp'), m.modelBytes);
  await rename(join(dir, 'model.onnx.tmp'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json.tmp'), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
  return { dir, json, bytes: m.modelBytes.length };
}
