// Worker-thread entry: fit + export a PatchCore package. Bundle entry name: patchcore-fit-worker.
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportPatchCore } from './export';
import { fitPatchCore } from './fit';
import type { FitJobData, FitJobResult } from './fit-job';
import type { FitProgress } from './types';

void runAsWorkerJob<FitJobData, FitProgress, FitJobResult>(async (data, ctx) => {
  const fitted = await fitPatchCore({
    images: data.images,
    calibrationImages: data.calibrationImages,
    backbone: data.backbone,
    preset: data.preset,
    config: data.config,
    preprocess: data.preprocess,
    onProgress: ctx.progress,
    shouldCancel: ctx.isCancelled,
    intraOpNumThreads: data.intraOpNumThreads,
  });
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await exportPatchCore(fitted, data.outDir, data.export);
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return {
    dir: exported.dir,
    modelJson: exported.json,
    chunks: exported.chunks,
    onnxBytes: exported.bytes,
    timings: fitted.timings,
  };
});
