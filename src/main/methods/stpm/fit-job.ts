// Main-thread side of an STPM fit: fit + export in a worker thread (bundle entry 'stpm-fit-worker',
// source src/main/methods/stpm/fit.worker.ts), progress, cancel; and the hook for `station fit`.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { awaitJobWithSigint } from './fit-support';
import type { StpmExportOptions } from './export';
import type { CustomTeacher } from './fit';
import type { StpmConfig, StpmFitResult, StpmPresetName, StpmProgress } from './types';

export const STPM_FIT_WORKER_ENTRY = { name: 'stpm-fit-worker', source: join(__dirname, 'fit.worker.ts') };

export interface StpmFitJobData {
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  preset?: StpmPresetName;
  config?: Partial<StpmConfig>;
  cacheDir: string;
  /** A teacher graph instead of the bundled backbone (tests). */
  teacher?: CustomTeacher;
  outDir: string;
  /** Resume file; default <outDir>/.stpm-train.ckpt, deleted after a successful export. */
  checkpointPath?: string;
  export?: StpmExportOptions;
}

export function startStpmFit(
  data: StpmFitJobData,
  onProgress?: (p: StpmProgress) => void,
): JobHandle<StpmFitResult> {
  return startWorkerJob<StpmFitJobData, StpmProgress, StpmFitResult>(STPM_FIT_WORKER_ENTRY, data, onProgress);
}

export interface FitStpmPackageOptions {
  preset?: StpmPresetName;
  /** Data cache folder; converted backbones go to <cacheDir>/backbones. */
  cacheDir: string;
  onProgress?: (p: StpmProgress) => void;
  config?: Partial<StpmConfig>;
}

/**
 * For `station fit --method stpm`: fits in a worker thread and writes the package to outDir.
 * Ctrl-C cancels the job (the checkpoint stays, so the same command resumes training).
 */
export async function fitStpmPackage(
  images: string[],
  outDir: string,
  o: FitStpmPackageOptions,
): Promise<StpmFitResult> {
  const preset = o.preset ?? 'station';
  const job = startStpmFit(
    { images, preset, config: o.config, cacheDir: o.cacheDir, outDir, export: { preset } },
    o.onProgress,
  );
  return awaitJobWithSigint(job);
}
