// Worker-thread entry: fit + export an OCR-GAN package. Bundle entry name: ocrgan-fit-worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import { exportOcrgan } from './export';
import { fitOcrgan } from './fit';
import type { OcrganFitJobData } from './fit-job';
import type { OcrganFitResult, OcrganProgress } from './types';

void runAsWorkerJob<OcrganFitJobData, OcrganProgress, OcrganFitResult>(async (data, ctx) => {
  const checkpointPath = join(data.outDir, '.ocrgan-train.ckpt');
  const fitted = await fitOcrgan({
    checkpointPath,
    images: data.images,
    calibrationImages: data.calibrationImages,
    preset: data.preset,
    config: data.config,
    onProgress: ctx.progress,
    shouldCancel: ctx.isCancelled,
  });
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await exportOcrgan(fitted, data.outDir, data.export);
  await rm(checkpointPath, { force: true });
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return { dir: exported.dir, modelJson: exported.json, onnxBytes: exported.bytes, timings: fitted.timings };
});
