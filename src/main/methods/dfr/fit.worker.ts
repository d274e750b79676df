// Worker-thread entry: fit + export a DFR package. Bundle entry name: dfr-fit-worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportDfr } from './export';
import { fitDfr } from './fit';
import type { DfrFitJobData } from './fit-job';
import type { DfrFitResult, DfrProgress } from './types';

void runAsWorkerJob<DfrFitJobData, DfrProgress, DfrFitResult>(async (data, ctx) => {
  const checkpointPath = data.checkpointPath ?? join(data.outDir, '.dfr-train.ckpt');
  const fitted = await fitDfr({
    images: data.images,
    calibrationImages: data.calibrationImages,
    preset: data.preset,
    config: data.config,
    cacheDir: data.cacheDir,
    backbone: data.backbone,
    checkpointPath,
    onProgress: ctx.progress,
    shouldCancel: ctx.isCancelled,
  });
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await exportDfr(fitted, data.outDir, data.export);
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
