// OCR-GAN (omni-frequency channel-selection reconstruction GAN) on the training engine.
export { fitOcrgan, scoreTensor, ocrganPreprocess, type FitOcrganOptions } from './fit';
export { ocrganMethod } from './method';
export { exportOcrgan, buildOcrganModelJson, ocrganDeviations } from './export';
export { startOcrganFit, OCRGAN_FIT_WORKER_ENTRY, type OcrganFitJobData } from './fit-job';
export { cutPaste } from './cutpaste';
export {
  decouple,
  generator,
  discriminator,
  levelChannels,
  buildDiscriminatorStep,
  buildGeneratorStep,
  buildOcrganScorer,
} from './graph';
export {
  DEFAULT_OCRGAN_CONFIG,
  OCRGAN_PRESETS,
  OCRGAN_VERSION,
  resolveOcrganConfig,
  type FittedOcrgan,
  type OcrganConfig,
  type OcrganEpoch,
  type OcrganFitResult,
  type OcrganPresetName,
  type OcrganProgress,
} from './types';
