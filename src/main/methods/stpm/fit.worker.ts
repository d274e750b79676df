// Worker-thread entry: fit + export an STPM package. Bundle entry name: stpm-fit-worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportStpm } from './export';
import { fitStpm } from './fit';
import type { StpmFitJobData } from './fit-job';
import type { StpmFitResult, StpmProgress } from './types';

void runAsWorkerJob<StpmFitJobData, StpmProgress, StpmFitResult>(async (data, ctx) => {
  const checkpointPath = data.checkpointPath ?? join(data.outDir, '.stpm-train.ckpt');
  const fitted = await fitStpm({
    images: data.images,
    calibrationImages: data.calibrationImages,
    preset: data.preset,
    config: data.config,
    cacheDir: data.cacheDir,
    teacher: data.teacher,
    checkpointPath,
    onProgress: ctx.progress,
    shouldCancel: ctx.isCancelled,
  });
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await exportStpm(fitted, data.outDir, data.export);
  await rm(checkpointPath, { force: true });
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return {
    dir: exported.dir,
    modelJson: exported.json,
    onnxBytes: exported.bytes,
    timings: fitted.timings,
    epochLosses: fitted.epochLosses,
    validationLosses: fitted.validationLosses,
  };
});
