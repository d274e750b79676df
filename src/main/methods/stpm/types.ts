// STPM (student–teacher feature pyramid matching) configuration, presets and results. Recipe:
// docs/methods.md "STPM"; deviations (teacher network and taps, station preset) are recorded in
// model.json `deviations`.
import type { Calibration } from '../common';
import type { MethodFitResult, MethodProgress } from '../types';

export const STPM_VERSION = '1.0.0';

export type StpmPresetName = 'station' | 'paper';
export const STPM_PRESET_NAMES: readonly StpmPresetName[] = ['station', 'paper'];

export type StpmBackboneId = 'mobilenet_v2' | 'inception_v3';

export interface StpmConfig {
  /** Bundled teacher (ImageNet ResNet18 is not available offline). */
  backbone: StpmBackboneId;
  /** Three teacher layers at strides 4, 8 and 16 (fine to coarse). */
  taps: string[];
  /** Square model input; images are squashed to it (resize 0), as the authors' 256×256 resize. */
  inputSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Good images held out for checkpoint selection (lowest validation loss) and score calibration. */
  validationFraction: number;
  maxValidationImages: number;
  seed: number;
  /** Images per teacher / scoring batch. */
  featureBatch: number;
  intraOpNumThreads?: number;
}

/**
 * Default teacher taps per bundled backbone, strides 4 / 8 / 16: the outputs of the last inverted
 * residual block of each MobileNetV2 stage, the analogue of ResNet18's layer1–3 outputs.
 * (docs/benchmarks.md "STPM" records the comparison that chose them.)
 */
export const STPM_TAPS: Record<StpmBackboneId, string[]> = {
  mobilenet_v2: ['block_2_add', 'block_5_add', 'block_9_add'],
  inception_v3: ['activation_4', 'mixed2', 'mixed5'],
};

export const DEFAULT_STPM_CONFIG: StpmConfig = {
  backbone: 'mobilenet_v2',
  taps: STPM_TAPS.mobilenet_v2,
  inputSize: 256,
  epochs: 100,
  batchSize: 32,
  lr: 0.4,
  momentum: 0.9,
  weightDecay: 1e-4,
  validationFraction: 0.2,
  maxValidationImages: 50,
  seed: 0,
  featureBatch: 4,
};

/** paper: the authors' schedule. station: measured to train 200 images in ≤ 10 min on 2 CPU cores. */
export const STPM_PRESETS: Record<StpmPresetName, Partial<StpmConfig>> = {
  paper: {},
  station: { epochs: 8, batchSize: 8 },
};

export function resolveStpmConfig(
  preset: StpmPresetName | undefined,
  overrides: Partial<StpmConfig> = {},
): StpmConfig {
  const cfg = { ...DEFAULT_STPM_CONFIG, ...STPM_PRESETS[preset ?? 'station'], ...overrides };
  if (!overrides.taps && overrides.backbone) cfg.taps = STPM_TAPS[overrides.backbone];
  return cfg;
}

export interface StpmProgress extends MethodProgress {
  stage: 'features' | 'train' | 'validate' | 'calibrate' | 'export';
}

export interface StpmTap {
  name: string;
  stride: number;
  channels: number;
  size: number;
}

export interface FittedStpm {
  config: StpmConfig;
  backboneId: string;
  /** The exported graph (teacher + student + map + score). */
  modelBytes: Uint8Array;
  taps: StpmTap[];
  /** Student parameters and BN buffers of the kept checkpoint. */
  weights: Map<string, Float32Array>;
  preprocess: { resize: number; crop: number; mean: [number, number, number]; std: [number, number, number] };
  trainImageCount: number;
  /** Good images held out of training to pick the kept epoch (part of the images given to the fit). */
  validationImageCount: number;
  fingerprint: string;
  epochLosses: number[];
  validationLosses: number[];
  /** Epoch (0-based) whose weights were kept. */
  bestEpoch: number;
  calibration: Calibration;
  timings: Record<string, number>;
}

export interface StpmFitResult extends MethodFitResult {
  epochLosses: number[];
  validationLosses: number[];
}
