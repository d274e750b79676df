// Main-thread side of an OCR-GAN fit: fit + export in a worker thread (bundle entry
// 'ocrgan-fit-worker', source src/main/methods/ocrgan/fit.worker.ts), progress, cancel.
import { startWorkerJob, type JobHandle } from '../../jobs/worker-job';
import { fitWorkerEntry } from '../common/trained-method';
import type { TrainedFitJobData } from '../common/trained-worker';
import type { OcrganConfig, OcrganFitResult, OcrganPresetName, OcrganProgress } from './types';

export const OCRGAN_FIT_WORKER_ENTRY = fitWorkerEntry('ocrgan', __dirname);

export type OcrganFitJobData = TrainedFitJobData<OcrganPresetName, OcrganConfig>;

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
