// Model package export: one self-contained model.onnx (backbone, aggregation, bank, chunked NN
// search, reweighting, map) and model.json (src/main/models/schema.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModel, serializeModel } from '../../onnx/serialize';
import { modelJsonSchema, type ModelJson } from '../../models/schema';
import { buildScoringModel } from './graph';
import { featureSpecOf } from './scorer';
import { PATCHCORE_VERSION, type FittedPatchCore } from './types';

export interface ExportOptions {
  /** Bank rows per NN chunk (defaults to the fit config's). */
  chunkSize?: number;
  /** Normalised thresholds: defaults t1 = 1 (worst good calibration image), t2 = 1.5. */
  thresholds?: { t1: number; t2: number };
  metrics?: Record<string, unknown>;
  createdAt?: Date;
}

export function buildPackageGraph(
  model: FittedPatchCore,
  chunkSize = model.config.chunkSize,
): { bytes: Uint8Array; chunks: number } {
  const { model: graph, chunks } = buildScoringModel(parseModel(model.backboneBytes), featureSpecOf(model), {
    bank: model.bank,
    dim: model.dim,
    chunkSize,
    numNeighbors: model.config.numNeighbors,
    blurSigma: model.config.blurSigma,
  });
  return { bytes: serializeModel(graph), chunks };
}

export function buildModelJson(
  model: FittedPatchCore,
  opts: ExportOptions & { chunks: number; chunkSize: number },
): ModelJson {
  const p = model.backbone.preprocess;
  const cfg = model.config;
  const cal = model.calibration;
  return modelJsonSchema.parse({
    format: 'inspection-model',
    formatVersion: 1,
    method: 'patchcore',
    version: PATCHCORE_VERSION,
    backbone: { id: model.backbone.id, taps: model.backbone.taps },
    input: {
      name: model.backbone.inputName,
      layout: 'NCHW',
      width: p.crop,
      height: p.crop,
      resize: p.resize,
      mean: p.mean,
      std: p.std,
      channelOrder: p.channelOrder,
    },
    outputs: { score: 'pred_score', map: 'anomaly_map' },
    params: {
      coresetRatio: cfg.coresetRatio,
      coresetProjectionDim: cfg.coresetProjectionDim,
      coresetStartPoints: cfg.coresetStartPoints,
      bankSize: model.bank.length / model.dim,
      featureDim: model.dim,
      reduction:
        cfg.reduceDim > 0 ? { kind: 'gaussian-random', dim: cfg.reduceDim, seed: cfg.seed + 1 } : null,
      aggregation: { kernel: 3, stride: 1, pad: 1, countIncludePad: true, upsample: 'bilinear-half-pixel' },
      numNeighbors: cfg.numNeighbors,
      blurSigma: cfg.blurSigma,
      nnChunkSize: opts.chunkSize,
      nnChunks: opts.chunks,
      seed: cfg.seed,
      patchCount: model.patchCount,
    },
    normalisation: normalisationOf(cal),
    thresholds: opts.thresholds ?? { t1: 1, t2: 1.5 },
    training: {
      fingerprint: model.fingerprint,
      imageCount: model.trainImageCount,
      calibrationCount: cal.count,
      calibrationSource: cal.source,
    },
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
    metrics: {
      calibration: { count: cal.count, min: cal.min, max: cal.max, mean: cal.mean },
      fitTimingsMs: model.timings,
      ...(opts.metrics ?? {}),
    },
  });
}

/**
 * Min/max of the good calibration scores map to 0 and 1. With too few calibration images to
 * span a range (one image, or identical scores) the lower end falls back to 0: PatchCore scores
 * are distances, so 0 is their natural floor.
 */
export function normalisationOf(cal: FittedPatchCore['calibration']): {
  method: 'minmax';
  min: number;
  max: number;
} {
  if (cal.count === 0 || !(cal.max > cal.min))
    return { method: 'minmax', min: 0, max: cal.count > 0 && cal.max > 0 ? cal.max : 1 };
  return { method: 'minmax', min: cal.min, max: cal.max };
}

/** Writes `dir`/model.onnx and `dir`/model.json (each via a temp file + rename, so readers never see half a file). */
export async function exportPatchCore(
  model: FittedPatchCore,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; chunks: number; bytes: number }> {
  const chunkSize = opts.chunkSize ?? model.config.chunkSize;
  const { bytes, chunks } = buildPackageGraph(model, chunkSize);
  const json = buildModelJson(model, { ...opts, chunks, chunkSize });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx.tmp'), bytes);
  await rename(join(dir, 'model.onnx.tmp'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json.tmp'), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
  return { dir, json, chunks, bytes: bytes.length };
}
