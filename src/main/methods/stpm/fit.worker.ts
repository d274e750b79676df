// Worker-thread entry: fit + export an STPM package. Bundle entry name: stpm-fit-worker.
import { runTrainedFitWorker } from '../common/trained-worker';
import { exportStpm } from './export';
import { fitStpm } from './fit';
import type { StpmFitJobData } from './fit-job';
import type { FittedStpm, StpmFitResult } from './types';

runTrainedFitWorker<StpmFitJobData, FittedStpm, StpmFitResult>({
  method: 'stpm',
  fit: (args, data) => fitStpm({ ...args, cacheDir: data.cacheDir, teacher: data.teacher }),
  exportTo: (fitted, data) => exportStpm(fitted, data.outDir, data.export),
  result: (fitted, common) => ({
    ...common,
    epochLosses: fitted.epochLosses,
    validationLosses: fitted.validationLosses,
  }),
});
