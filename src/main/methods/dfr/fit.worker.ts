// Worker-thread entry: fit + export a DFR package. Bundle entry name: dfr-fit-worker.
import { runAsWorkerJob } from '../../jobs/worker-job';
import { fitExportAndClean } from '../common/trained-worker';
import { exportDfr } from './export';
import { fitDfr } from './fit';
import type { DfrFitJobData } from './fit-job';
import type { DfrFitResult, DfrProgress } from './types';

void runAsWorkerJob<DfrFitJobData, DfrProgress, DfrFitResult>(async (data, ctx) => {
  const { result } = await fitExportAndClean({
    outDir: data.outDir,
    checkpointPath: data.checkpointPath,
    method: 'dfr',
    progress: ctx.progress,
    fit: (checkpointPath) =>
      fitDfr({
        images: data.images,
        calibrationImages: data.calibrationImages,
        preset: data.preset,
        config: data.config,
        cacheDir: data.cacheDir,
        backbone: data.backbone,
        checkpointPath,
        onProgress: ctx.progress,
        shouldCancel: ctx.isCancelled,
      }),
    exportTo: (fitted) => exportDfr(fitted, data.outDir, data.export),
  });
  return result;
});
