// OCR-GAN configuration, presets and results. Recipe: docs/methods.md "OCR-GAN"; how a fit here
// differs from it is recorded in model.json `deviations`.
import type { Calibration } from '../common';
import type { MethodFitResult, MethodProgress } from '../types';

export const OCRGAN_VERSION = '1.0.0';

export type OcrganPresetName = 'station' | 'paper';

export interface OcrganConfig {
  /** Square model input. */
  inputSize: number;
  /** Stride-2 down-samplings of each generator branch (the paper: 8, 256 px → 1 px). */
  levels: number;
  /** Channels of the first level, doubled per level up to maxChannels (the paper: 64 … 512). */
  baseChannels: number;
  maxChannels: number;
  /** Discriminator feature size (the paper: 100). */
  featureDim: number;
  /** Channel-selection bottleneck: channels / reduction (at least 4). */
  csReduction: number;
  epochs: number;
  batchSize: number;
  lr: number;
  beta1: number;
  beta2: number;
  /** Generator loss weights: adversarial, L1 reconstruction, feature matching (paper 1, 50, 1). */
  wAdv: number;
  wRec: number;
  wFeat: number;
  /** Score = scoreRecWeight·MSE(real, fake) + (1 − scoreRecWeight)·MSE(features). */
  scoreRecWeight: number;
  /** CutPaste patch area as a fraction of the image. */
  cutPasteArea: [number, number];
  seed: number;
  /** Good images held out for validation (best checkpoint) and score calibration. */
  validationFraction: number;
  maxValidationImages: number;
  /** Epochs without L1 improvement while D's loss is ~0 before the run is declared collapsed. */
  collapsePatience: number;
  intraOpNumThreads?: number;
}

export const DEFAULT_OCRGAN_CONFIG: OcrganConfig = {
  inputSize: 256,
  levels: 8,
  baseChannels: 64,
  maxChannels: 512,
  featureDim: 100,
  csReduction: 4,
  epochs: 200,
  batchSize: 32,
  lr: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  wAdv: 1,
  wRec: 50,
  wFeat: 1,
  scoreRecWeight: 0.9,
  cutPasteArea: [0.02, 0.15],
  seed: 0,
  validationFraction: 0.2,
  maxValidationImages: 40,
  collapsePatience: 5,
};

/**
 * paper: the authors' network and schedule (for a GPU). station: 64 px, 4 levels, 16…64 channels,
 * batch 16 — sized so 200 images train in minutes on a 2-core CPU (docs/benchmarks.md "OCR-GAN").
 */
export const OCRGAN_PRESETS: Record<OcrganPresetName, Partial<OcrganConfig>> = {
  paper: {},
  station: {
    inputSize: 64,
    levels: 4,
    baseChannels: 16,
    maxChannels: 64,
    featureDim: 64,
    batchSize: 16,
    epochs: 60,
  },
};

export function resolveOcrganConfig(
  preset: OcrganPresetName | undefined,
  overrides: Partial<OcrganConfig> = {},
): OcrganConfig {
  const c = { ...DEFAULT_OCRGAN_CONFIG, ...(preset ? OCRGAN_PRESETS[preset] : {}), ...overrides };
  if (c.inputSize % 2 ** c.levels !== 0)
    throw new Error(`OCR-GAN input ${c.inputSize} is not divisible by 2^${c.levels} (levels)`);
  if (c.inputSize < 16 || (c.inputSize & (c.inputSize - 1)) !== 0)
    throw new Error(`OCR-GAN input must be a power of two ≥ 16, got ${c.inputSize}`);
  return c;
}

export interface OcrganProgress extends MethodProgress {
  stage: 'load' | 'train' | 'validate' | 'calibrate' | 'export';
  /** Set once the adversarial game is judged collapsed (training stops; the best epoch is kept). */
  collapse?: string;
}

export interface OcrganEpoch {
  epoch: number;
  dLoss: number;
  gLoss: number;
  l1: number;
  fakeStd: number;
  valAuroc: number | null;
}

export interface FittedOcrgan {
  config: OcrganConfig;
  modelBytes: Uint8Array;
  weights: Map<string, Float32Array>;
  trainImageCount: number;
  validationImageCount: number;
  fingerprint: string;
  epochs: OcrganEpoch[];
  bestEpoch: number;
  bestValAuroc: number | null;
  collapse: string | null;
  calibration: Calibration;
  provider: string;
  timings: Record<string, number>;
}

export type OcrganFitResult = MethodFitResult;
