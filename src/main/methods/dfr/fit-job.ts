// Main-thread side of a DFR fit: fit + export in a worker thread (bundle entry 'dfr-fit-worker',
// source src/main/methods/dfr/fit.worker.ts), progress, cancel.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { DfrExportOptions } from './export';
import type { BackboneSource } from '../patchcore/types';
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
  /** Instead of the bundled MobileNetV2 (the conformance test's tiny backbone). */
  backbone?: BackboneSource;
}

export function startDfrFit(
  data: DfrFitJobData,
  onProgress?: (p: DfrProgress) => void,
): JobHandle<DfrFitResult> {
  return startWorkerJob<DfrFitJobData, DfrProgress, DfrFitResult>(DFR_FIT_WORKER_ENTRY, data, onProgress);
}
