// Main-thread side of a DFR fit: fit + export in a worker thread (bundle entry 'dfr-fit-worker',
// source src/main/methods/dfr/fit.worker.ts), progress, cancel.
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { fitWorkerEntry } from '../common/trained-method';
import type { TrainedFitJobData } from '../common/trained-worker';
import type { BackboneSource } from '../types';
import type { DfrConfig, DfrFitResult, DfrPresetName, DfrProgress } from './types';

export const DFR_FIT_WORKER_ENTRY = fitWorkerEntry('dfr', __dirname);

export interface DfrFitJobData extends TrainedFitJobData<DfrPresetName, DfrConfig> {
  cacheDir: string;
  /** Instead of the bundled MobileNetV2 (the conformance test's tiny backbone). */
  backbone?: BackboneSource;
}

export function startDfrFit(
  data: DfrFitJobData,
  onProgress?: (p: DfrProgress) => void,
): JobHandle<DfrFitResult> {
  return startWorkerJob<DfrFitJobData, DfrProgress, DfrFitResult>(DFR_FIT_WORKER_ENTRY, data, onProgress);
}
