// The one model package shape (model.onnx + model.json, src/main/models/schema.ts): the envelope
// every method fills and the writer that never leaves half a file for a reader to find.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingDevice } from '@shared/training';
import { modelJsonSchema, type ModelJson } from '../../models/schema';
import { minmaxNormalisation, type Calibration } from './calibration';

/** What the caller of a method's export may set (thresholds, extra metrics, the preset's name). */
export interface ExportOptions {
  /** Normalised thresholds; default t1 = 1 (worst good calibration image), t2 = 1.5. */
  thresholds?: { t1: number; t2: number };
  /** Merged into model.json metrics after the method's own. */
  metrics?: Record<string, unknown>;
  createdAt?: Date;
  /** Recorded as params.preset (older packages lack it: AnomalyMethod.presetOf). */
  preset?: string;
  /** Where the training step ran (methods that train on the engine): model.json training.device. */
  device?: TrainingDevice;
}

/** model.json `input` of a graph with input `input` [N, 3, size, size], RGB. */
export function nchwInput(
  size: number,
  pre: { resize: number; mean: [number, number, number]; std: [number, number, number] },
): ModelJson['input'] {
  return {
    name: 'input',
    layout: 'NCHW',
    width: size,
    height: size,
    resize: pre.resize,
    mean: pre.mean,
    std: pre.std,
    channelOrder: 'RGB',
  };
}

/** Input fed as [0, 1] (mean 0, std 1): a deviation for recipes published with ImageNet mean/std. */
export function isUnitRange(pre: { mean: readonly number[]; std: readonly number[] }): boolean {
  return pre.mean.every((v) => v === 0) && pre.std.every((v) => v === 1);
}

export interface PackageEnvelope {
  method: string;
  version: string;
  backbone: { id: string; taps: unknown[] };
  input: ModelJson['input'];
  /** Method-specific settings. */
  params: Record<string, unknown>;
  /** How this station's recipe differs from the published one (docs/methods.md). */
  deviations: string[];
  calibration: Calibration;
  /**
   * The raw score's own range, used when calibration gives none (one image, identical scores);
   * default: [0, the calibration maximum] (see minmaxNormalisation).
   */
  scoreRange?: [number, number];
  fingerprint: string;
  trainImageCount: number;
  /** Method metrics after the calibration summary, before the caller's (`ExportOptions.metrics`). */
  metrics?: Record<string, unknown>;
  /** false: the graph outputs `pred_score` only (image-level method); model.json says `map: null`. */
  pixelMap?: boolean;
}

/** Normalised thresholds default to t1 = 1 (the worst good calibration image) and t2 = 1.5. */
export function buildModelJson(e: PackageEnvelope, opts: Omit<ExportOptions, 'preset'> = {}): ModelJson {
  const cal = e.calibration;
  return modelJsonSchema.parse({
    format: 'inspection-model',
    formatVersion: 1,
    method: e.method,
    version: e.version,
    backbone: e.backbone,
    input: e.input,
    outputs: { score: 'pred_score', map: e.pixelMap === false ? null : 'anomaly_map' },
    params: e.params,
    deviations: e.deviations,
    normalisation:
      e.scoreRange && (cal.count === 0 || !(cal.max > cal.min))
        ? { method: 'minmax', min: e.scoreRange[0], max: e.scoreRange[1] }
        : minmaxNormalisation(cal),
    thresholds: opts.thresholds ?? { t1: 1, t2: 1.5 },
    training: {
      fingerprint: e.fingerprint,
      imageCount: e.trainImageCount,
      calibrationCount: cal.count,
      calibrationSource: cal.source,
      ...(opts.device ? { device: opts.device } : {}),
    },
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
    metrics: {
      calibration: { count: cal.count, min: cal.min, max: cal.max, mean: cal.mean },
      ...(e.metrics ?? {}),
      ...(opts.metrics ?? {}),
    },
  });
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

/** Writes `dir`/model.onnx then `dir`/model.json, each through a temp file + rename. */
export async function writePackage(
  dir: string,
  onnx: Uint8Array,
  json: ModelJson,
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, 'model.onnx'), onnx);
  await writeAtomically(join(dir, 'model.json'), `${JSON.stringify(json, null, 2)}\n`);
  return { dir, json, bytes: onnx.length };
}
