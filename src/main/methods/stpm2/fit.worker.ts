// Worker-thread entry: fit + export a two-pair STPM package. Bundle entry name: stpm2-fit-worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportStpm2 } from './export';
import { fitStpm2 } from './fit';
import type { Stpm2FitJobData } from './fit-job';
import type { Stpm2FitResult, Stpm2Progress } from './types';

void runAsWorkerJob<Stpm2FitJobData, Stpm2Progress, Stpm2FitResult>(async (data, ctx) => {
  const checkpointPath = data.checkpointPath ?? join(data.outDir, '.stpm2-train.ckpt');
  const fitted = await fitStpm2({
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
  const exported = await exportStpm2(fitted, data.outDir, data.export);
  for (const k of [1, 2]) await rm(`${checkpointPath}.pair${k}`, { force: true });
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return { dir: exported.dir, modelJson: exported.json, onnxBytes: exported.bytes, timings: fitted.timings };
});
