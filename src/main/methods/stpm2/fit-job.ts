// Main-thread side of a two-pair STPM fit: fit + export in a worker thread (bundle entry
// 'stpm2-fit-worker', source src/main/methods/stpm2/fit.worker.ts), progress, cancel.
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { fitWorkerEntry } from '../common/trained-method';
import type { TrainedFitJobData } from '../common/trained-worker';
import type { CustomTeacher } from '../stpm/fit';
import type { Stpm2Config, Stpm2FitResult, Stpm2PresetName, Stpm2Progress } from './types';

export const STPM2_FIT_WORKER_ENTRY = fitWorkerEntry('stpm2', __dirname);

/** `checkpointPath` is a prefix here: each pair resumes from `<path>.pair1` / `.pair2`. */
export interface Stpm2FitJobData extends TrainedFitJobData<Stpm2PresetName, Stpm2Config> {
  cacheDir: string;
  /** One teacher graph for both pairs instead of the bundled backbones (tests). */
  teacher?: CustomTeacher;
}

export function startStpm2Fit(
  data: Stpm2FitJobData,
  onProgress?: (p: Stpm2Progress) => void,
): JobHandle<Stpm2FitResult> {
  return startWorkerJob<Stpm2FitJobData, Stpm2Progress, Stpm2FitResult>(
    STPM2_FIT_WORKER_ENTRY,
    data,
    onProgress,
  );
}
