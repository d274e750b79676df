// Worker-thread entry: fit + export a DRAEM package. Bundle entry name: draem-fit-worker.
import { runTrainedFitWorker } from '../common/trained-worker';
import { exportDraem } from './export';
import { fitDraem } from './fit';
import type { DraemFitJobData } from './fit-job';
import type { DraemFitResult, FittedDraem } from './types';

runTrainedFitWorker<DraemFitJobData, FittedDraem, DraemFitResult>({
  method: 'draem',
  fit: (args) => fitDraem(args),
  exportTo: (fitted, data) => exportDraem(fitted, data.outDir, data.export),
});
