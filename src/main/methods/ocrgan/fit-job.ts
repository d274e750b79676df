// Main-thread side of an OCR-GAN fit: fit + export in a worker thread (bundle entry
// 'ocrgan-fit-worker', source src/main/methods/ocrgan/fit.worker.ts), progress, cancel.
import { join } from 'node:path';
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import type { OcrganExportOptions } from './export';
import type { OcrganConfig, OcrganFitResult, OcrganPresetName, OcrganProgress } from './types';

export const OCRGAN_FIT_WORKER_ENTRY = {
  name: 'ocrgan-fit-worker',
  source: join(__dirname, 'fit.worker.ts'),
};

export interface OcrganFitJobData {
  images: (string | Uint8Array)[];
  calibrationImages?: (string | Uint8Array)[];
  preset?: OcrganPresetName;
  config?: Partial<OcrganConfig>;
  outDir: string;
  export?: OcrganExportOptions;
}

export function startOcrganFit(
  data: OcrganFitJobData,
  onProgress?: (p: OcrganProgress) => void,
): JobHandle<OcrganFitResult> {
  return startWorkerJob<OcrganFitJobData, OcrganProgress, OcrganFitResult>(
    OCRGAN_FIT_WORKER_ENTRY,
    data,
    onProgress,
  );
}
