// Worker-thread entry: fit + export an STPM package. Bundle entry name: stpm-fit-worker.
import { runAsWorkerJob } from '../../jobs/worker-job';
import { fitExportAndClean } from '../common/trained-worker';
import { exportStpm } from './export';
import { fitStpm } from './fit';
import type { StpmFitJobData } from './fit-job';
import type { StpmFitResult, StpmProgress } from './types';

void runAsWorkerJob<StpmFitJobData, StpmProgress, StpmFitResult>(async (data, ctx) => {
  const { fitted, result } = await fitExportAndClean({
    outDir: data.outDir,
    checkpointPath: data.checkpointPath,
    method: 'stpm',
    progress: ctx.progress,
    fit: (checkpointPath) =>
      fitStpm({
        images: data.images,
        calibrationImages: data.calibrationImages,
        preset: data.preset,
        config: data.config,
        cacheDir: data.cacheDir,
        teacher: data.teacher,
        checkpointPath,
        onProgress: ctx.progress,
        shouldCancel: ctx.isCancelled,
      }),
    exportTo: (fitted) => exportStpm(fitted, data.outDir, data.export),
  });
  return { ...result, validationLosses: fitted.validationLosses };
});
