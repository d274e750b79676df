// Worker-thread entry: fit + export a DRAEM package. Bundle entry name: draem-fit-worker.
import { runAsWorkerJob } from '../../jobs/worker-job';
import { fitExportAndClean } from '../common/trained-worker';
import { exportDraem } from './export';
import { fitDraem } from './fit';
import type { DraemFitJobData } from './fit-job';
import type { DraemFitResult, DraemProgress } from './types';

void runAsWorkerJob<DraemFitJobData, DraemProgress, DraemFitResult>(async (data, ctx) => {
  const { result } = await fitExportAndClean({
    outDir: data.outDir,
    checkpointPath: data.checkpointPath,
    method: 'draem',
    progress: ctx.progress,
    fit: (checkpointPath) =>
      fitDraem({
        images: data.images,
        calibrationImages: data.calibrationImages,
        preset: data.preset,
        config: data.config,
        checkpointPath,
        onProgress: ctx.progress,
        shouldCancel: ctx.isCancelled,
      }),
    exportTo: (fitted) => exportDraem(fitted, data.outDir, data.export),
  });
  return result;
});
