// Main-thread side of a PatchCore fit: runs fit + export in a worker thread so the UI/event
// loop stays responsive; progress {stage, done, total, etaMs}; cancel() stops it.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { PreprocessSpec } from '../../models/preprocess';
import type { ModelJson } from '../../models/schema';
import type { ExportOptions } from './export';
import type { BackboneSource } from '../types';
import type { FitProgress, PatchCoreConfig, PresetName } from './types';

export const FIT_WORKER_ENTRY = { name: 'patchcore-fit-worker', source: join(__dirname, 'fit.worker.ts') };

export interface FitJobData {
  /** Image paths (or encoded bytes) of good parts. */
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  backbone: BackboneSource;
  preset?: PresetName;
  config?: Partial<PatchCoreConfig>;
  /** e.g. { resize: 0 }: squash the whole frame to the input size instead of resize + centre-crop. */
  preprocess?: Partial<PreprocessSpec>;
  outDir: string;
  export?: ExportOptions;
  intraOpNumThreads?: number;
}

export interface FitJobResult {
  dir: string;
  modelJson: ModelJson;
  chunks: number;
  onnxBytes: number;
  timings: Record<string, number>;
}

export function startPatchCoreFit(
  data: FitJobData,
  onProgress?: (p: FitProgress) => void,
): JobHandle<FitJobResult> {
  return startWorkerJob<FitJobData, FitProgress, FitJobResult>(FIT_WORKER_ENTRY, data, onProgress);
}
