// Worker-thread entry: fit + export a DRAEM package. Bundle entry name: draem-fit-worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportDraem } from './export';
import { fitDraem } from './fit';
import type { DraemFitJobData } from './fit-job';
import type { DraemFitResult, DraemProgress } from './types';

void runAsWorkerJob<DraemFitJobData, DraemProgress, DraemFitResult>(async (data, ctx) => {
  const checkpointPath = data.checkpointPath ?? join(data.outDir, '.draem-train.ckpt');
  const fitted = await fitDraem({
    images: data.images,
    calibrationImages: data.calibrationImages,
    preset: data.preset,
    config: data.config,
    checkpointPath,
    onProgress: ctx.progress,
    shouldCancel: ctx.isCancelled,
  });
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await exportDraem(fitted, data.outDir, data.export);
  await rm(checkpointPath, { force: true });
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return {
    dir: exported.dir,
    modelJson: exported.json,
    onnxBytes: exported.bytes,
    timings: fitted.timings,
    epochLosses: fitted.epochLosses,
  };
});
