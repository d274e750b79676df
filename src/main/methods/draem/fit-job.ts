// Main-thread side of a DRAEM fit: fit + export in a worker thread (bundle entry
// 'draem-fit-worker', source src/main/methods/draem/fit.worker.ts), progress, cancel; and the hook
// for `station fit --method draem`.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { DraemExportOptions } from './export';
import type { DraemConfig, DraemFitResult, DraemPresetName, DraemProgress } from './types';

export const DRAEM_FIT_WORKER_ENTRY = { name: 'draem-fit-worker', source: join(__dirname, 'fit.worker.ts') };

export interface DraemFitJobData {
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  preset?: DraemPresetName;
  config?: Partial<DraemConfig>;
  outDir: string;
  /** Resume file; default <outDir>/.draem-train.ckpt, deleted after a successful export. */
  checkpointPath?: string;
  export?: DraemExportOptions;
}

export function startDraemFit(
  data: DraemFitJobData,
  onProgress?: (p: DraemProgress) => void,
): JobHandle<DraemFitResult> {
  return startWorkerJob<DraemFitJobData, DraemProgress, DraemFitResult>(
    DRAEM_FIT_WORKER_ENTRY,
    data,
    onProgress,
  );
}

/**
 * For `station fit --method draem`: fits in a worker thread and writes the package to outDir.
 * Ctrl-C cancels the job (the checkpoint stays, so the same command resumes training).
 */
export async function fitDraemPackage(
  images: string[],
  outDir: string,
  o: { preset?: DraemPresetName; config?: Partial<DraemConfig>; onProgress?: (p: DraemProgress) => void },
): Promise<DraemFitResult> {
  const job = startDraemFit(
    { images, preset: o.preset ?? 'station', config: o.config, outDir },
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
