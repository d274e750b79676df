// Main-thread side of a two-pair STPM fit: fit + export in a worker thread (bundle entry
// 'stpm2-fit-worker', source src/main/methods/stpm2/fit.worker.ts), progress, cancel.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { StpmExportOptions } from '../stpm/export';
import type { CustomTeacher } from '../stpm/fit';
import type { Stpm2Config, Stpm2FitResult, Stpm2PresetName, Stpm2Progress } from './types';

export const STPM2_FIT_WORKER_ENTRY = { name: 'stpm2-fit-worker', source: join(__dirname, 'fit.worker.ts') };

export interface Stpm2FitJobData {
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  preset?: Stpm2PresetName;
  config?: Partial<Stpm2Config>;
  cacheDir: string;
  /** One teacher graph for both pairs instead of the bundled backbones (tests). */
  teacher?: CustomTeacher;
  outDir: string;
  /** Resume prefix; default <outDir>/.stpm2-train.ckpt (+ .pair1 / .pair2), deleted after export. */
  checkpointPath?: string;
  export?: StpmExportOptions;
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
