// Main-thread side of an STPM fit: fit + export in a worker thread (bundle entry 'stpm-fit-worker',
// source src/main/methods/stpm/fit.worker.ts), progress, cancel.
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { fitWorkerEntry } from '../common/trained-method';
import type { TrainedFitJobData } from '../common/trained-worker';
import type { CustomTeacher } from './fit';
import type { StpmConfig, StpmFitResult, StpmPresetName, StpmProgress } from './types';

export const STPM_FIT_WORKER_ENTRY = fitWorkerEntry('stpm', __dirname);

export interface StpmFitJobData extends TrainedFitJobData<StpmPresetName, StpmConfig> {
  cacheDir: string;
  /** A teacher graph instead of the bundled backbone (tests). */
  teacher?: CustomTeacher;
}

export function startStpmFit(
  data: StpmFitJobData,
  onProgress?: (p: StpmProgress) => void,
): JobHandle<StpmFitResult> {
  return startWorkerJob<StpmFitJobData, StpmProgress, StpmFitResult>(STPM_FIT_WORKER_ENTRY, data, onProgress);
}
