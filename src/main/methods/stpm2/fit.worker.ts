// Worker-thread entry: fit + export a two-pair STPM package. Bundle entry name: stpm2-fit-worker.
import { runTrainedFitWorker } from '../common/trained-worker';
import { exportStpm2 } from './export';
import { fitStpm2 } from './fit';
import type { Stpm2FitJobData } from './fit-job';
import type { FittedStpm2, Stpm2FitResult } from './types';

runTrainedFitWorker<Stpm2FitJobData, FittedStpm2, Stpm2FitResult>({
  method: 'stpm2',
  fit: (args, data) => fitStpm2({ ...args, cacheDir: data.cacheDir, teacher: data.teacher }),
  exportTo: (fitted, data) => exportStpm2(fitted, data.outDir, data.export),
  // Each pair trains under its own file beside the prefix.
  checkpointFiles: (prefix) => [`${prefix}.pair1`, `${prefix}.pair2`],
});
