// DFR (deep feature reconstruction) configuration, presets and results. Recipe: docs/methods.md
// "DFR"; deviations (backbone, taps, fast preset) are recorded in model.json `deviations`.
import type { Calibration } from '../common';
import type { MethodFitResult, MethodProgress } from '../types';

export const DFR_VERSION = '1.0.0';

export type DfrPresetName = 'fast' | 'accurate';

export interface DfrConfig {
  /** Bundled backbone (VGG19 is not available offline). */
  backbone: 'mobilenet_v2';
  /** Backbone layers whose outputs form the regional feature (several strides, coarse last). */
  taps: string[];
  /** Square model input (the paper's 256). */
  inputSize: number;
  /** Regional feature grid: input / 4 (the paper's 4×4 mean pooling after upsampling). */
  gridSize: number;
  /** Shorter side before the centre crop; 0 squashes the whole frame to inputSize (the authors resize to 256×256). */
  resize: number;
  /** Latent size d = number of principal components explaining this fraction of the variance. */
  varianceKept: number;
  /** Fixed latent size instead of PCA (null: use PCA). */
  latentDim: number | null;
  epochs: number;
  lr: number;
  /** Feature vectors (grid locations) per optimizer step. */
  batchRows: number;
  /** Locations sampled per training image (≤ gridSize²): neighbouring cells are highly correlated. */
  rowsPerImage: number;
  /** Cap on stored training vectors (memory: rows × channels × 4 bytes). */
  maxRows: number;
  seed: number;
  /** Good images held out to calibrate score normalisation (min/max, like PatchCore). */
  calibrationFraction: number;
  maxCalibrationImages: number;
  /** Images per backbone batch. */
  featureBatch: number;
  intraOpNumThreads?: number;
}

/**
 * MobileNetV2 at 256 px: block_1_expand_relu (96 ch, stride 2), block_3_expand_relu (144, stride 4),
 * block_6_expand_relu (192, stride 8), block_10_expand_relu (384, stride 16): 816 channels, the
 * ImageNet-frozen part of the nsfwjs weights, ReLU outputs at four strides as VGG19's relu taps are.
 */
export const DFR_TAPS = [
  'block_1_expand_relu',
  'block_3_expand_relu',
  'block_6_expand_relu',
  'block_10_expand_relu',
];

export const DEFAULT_DFR_CONFIG: DfrConfig = {
  backbone: 'mobilenet_v2',
  taps: DFR_TAPS,
  inputSize: 256,
  gridSize: 64,
  resize: 0,
  varianceKept: 0.9,
  latentDim: null,
  epochs: 150,
  lr: 1e-4,
  batchRows: 16384,
  rowsPerImage: 4096,
  maxRows: 200_000,
  seed: 0,
  calibrationFraction: 0.2,
  maxCalibrationImages: 50,
  featureBatch: 4,
};

/**
 * accurate: the authors' optimisation (Adam 1e-4, 150 epochs, batch 4 images = 16 384 locations),
 * every location of up to ~49 images (maxRows). fast: 512 sampled locations per image, 10× the
 * learning rate and few epochs, which converges to a similar loss in minutes on a 2-core CPU.
 */
export const DFR_PRESETS: Record<DfrPresetName, Partial<DfrConfig>> = {
  accurate: {},
  fast: { epochs: 12, lr: 1e-3, batchRows: 4096, rowsPerImage: 512, maxRows: 65_536 },
};

export function resolveDfrConfig(
  preset: DfrPresetName | undefined,
  overrides: Partial<DfrConfig> = {},
): DfrConfig {
  return { ...DEFAULT_DFR_CONFIG, ...(preset ? DFR_PRESETS[preset] : {}), ...overrides };
}

export interface DfrProgress extends MethodProgress {
  stage: 'features' | 'pca' | 'train' | 'calibrate' | 'export';
}

export interface DfrTap {
  name: string;
  stride: number;
  channels: number;
  size: number;
}

export interface FittedDfr {
  config: DfrConfig;
  backboneId: string;
  backboneBytes: Uint8Array;
  /** The exported graph (backbone + regional features + autoencoder + map + score). */
  modelBytes: Uint8Array;
  taps: DfrTap[];
  channels: number;
  latentDim: number;
  /** Fraction of variance the latentDim components explain. */
  explainedVariance: number;
  /** Trained parameters and BN buffers by name. */
  weights: Map<string, Float32Array>;
  preprocess: { resize: number; crop: number; mean: [number, number, number]; std: [number, number, number] };
  trainImageCount: number;
  trainRows: number;
  fingerprint: string;
  epochLosses: number[];
  calibration: Calibration;
  timings: Record<string, number>;
}

export interface DfrFitResult extends MethodFitResult {
  epochLosses: number[];
}
