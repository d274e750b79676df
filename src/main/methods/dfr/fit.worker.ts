// Worker-thread entry: fit + export a DFR package. Bundle entry name: dfr-fit-worker.
import { runTrainedFitWorker } from '../common/trained-worker';
import { exportDfr } from './export';
import { fitDfr } from './fit';
import type { DfrFitJobData } from './fit-job';
import type { DfrFitResult, FittedDfr } from './types';

runTrainedFitWorker<DfrFitJobData, FittedDfr, DfrFitResult>({
  method: 'dfr',
  fit: (args, data) => fitDfr({ ...args, cacheDir: data.cacheDir, backbone: data.backbone }),
  exportTo: (fitted, data) => exportDfr(fitted, data.outDir, data.export),
});
