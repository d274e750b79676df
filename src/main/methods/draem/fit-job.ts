// Main-thread side of a DRAEM fit: fit + export in a worker thread (bundle entry
// 'draem-fit-worker', source src/main/methods/draem/fit.worker.ts), progress, cancel.
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { fitWorkerEntry } from '../common/trained-method';
import type { TrainedFitJobData } from '../common/trained-worker';
import type { DraemConfig, DraemFitResult, DraemPresetName, DraemProgress } from './types';

export const DRAEM_FIT_WORKER_ENTRY = fitWorkerEntry('draem', __dirname);

export type DraemFitJobData = TrainedFitJobData<DraemPresetName, DraemConfig>;

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
