// Worker-thread entry: fit + export an OCR-GAN package. Bundle entry name: ocrgan-fit-worker.
import { runTrainedFitWorker } from '../common/trained-worker';
import { exportOcrgan } from './export';
import { fitOcrgan } from './fit';
import type { OcrganFitJobData } from './fit-job';
import type { FittedOcrgan, OcrganFitResult } from './types';

runTrainedFitWorker<OcrganFitJobData, FittedOcrgan, OcrganFitResult>({
  method: 'ocrgan',
  fit: (args) => fitOcrgan(args),
  exportTo: (fitted, data) => exportOcrgan(fitted, data.outDir, data.export),
});
