// Main-thread side of a DFR fit: fit + export in a worker thread (bundle entry 'dfr-fit-worker',
// source src/main/methods/dfr/fit.worker.ts), progress, cancel; and the hook for `station fit`.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { DfrExportOptions } from './export';
import type { DfrConfig, DfrFitResult, DfrPresetName, DfrProgress } from './types';

export const DFR_FIT_WORKER_ENTRY = { name: 'dfr-fit-worker', source: join(__dirname, 'fit.worker.ts') };

export interface DfrFitJobData {
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  preset?: DfrPresetName;
  config?: Partial<DfrConfig>;
  cacheDir: string;
  outDir: string;
  /** Resume file; default <outDir>/.dfr-train.ckpt, deleted after a successful export. */
  checkpointPath?: string;
  export?: DfrExportOptions;
}

export function startDfrFit(
  data: DfrFitJobData,
  onProgress?: (p: DfrProgress) => void,
): JobHandle<DfrFitResult> {
  return startWorkerJob<DfrFitJobData, DfrProgress, DfrFitResult>(DFR_FIT_WORKER_ENTRY, data, onProgress);
}

export interface FitDfrPackageOptions {
  preset?: DfrPresetName;
  /** Data cache folder; converted backbones go to <cacheDir>/backbones. */
  cacheDir: string;
  onProgress?: (p: DfrProgress) => void;
  config?: Partial<DfrConfig>;
}

/**
 * For `station fit --method dfr`: fits in a worker thread and writes the package to outDir.
 * Ctrl-C cancels the job (the checkpoint stays, so the same command resumes training).
 */
export async function fitDfrPackage(
  images: string[],
  outDir: string,
  o: FitDfrPackageOptions,
): Promise<DfrFitResult> {
  const job = startDfrFit(
    {
      images,
      preset: o.preset ?? 'fast',
      config: o.config,
      cacheDir: o.cacheDir,
      outDir,
      export: { preset: o.preset ?? 'fast' },
    },
    o.onProgress,
  );
  const stop = (): void => job.cancel();
  process.once('SIGINT', stop);
  try {
    return await job.result;
  } finally {
    process.off('SIGINT', stop);
  }
}
