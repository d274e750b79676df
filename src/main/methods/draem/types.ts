// DRAEM configuration, presets and results. Recipe: docs/methods.md "DRAEM"; deviations (input
// size, widths, step budget, procedural textures, filter size) are recorded in model.json `deviations`.
import type { Calibration } from '../common';
import type { MethodFitResult, MethodProgress } from '../types';

export const DRAEM_VERSION = '1.0.0';

export const DRAEM_PRESET_NAMES = ['station', 'paper'] as const;
export type DraemPresetName = (typeof DRAEM_PRESET_NAMES)[number];

export interface DraemConfig {
  /** Square model input; images are squashed to it, /255, no mean/std (as the authors). */
  inputSize: number;
  /** Base width of the reconstructive sub-network (paper 128). */
  recBase: number;
  /** Base width of the discriminative sub-network (paper 64). */
  discBase: number;
  batch: number;
  /** Epochs over the training images (paper 700); ignored when trainSamples is set. */
  epochs: number;
  /**
   * Fixed number of simulated samples to train on, whatever the image count (station preset: the
   * training time is then known in advance). null: epochs × images.
   */
  trainSamples: number | null;
  lr: number;
  /** lr × lrGamma at these fractions of the epochs (paper: 0.8, 0.9; γ 0.2). */
  lrMilestones: number[];
  lrGamma: number;
  /** Mean-filter size for the image score at this input (paper 21 at 256 px). */
  scoreFilter: number;
  /** Probability a simulated sample is left clean (paper 0.5). */
  cleanProbability: number;
  /** Probability an image is rotated (±90°) before simulation (paper 0.3). */
  preRotateProbability: number;
  /** Folder of user texture images (optional); procedural textures are used besides them. */
  textureDir: string | null;
  seed: number;
  /** Good images held out to calibrate score normalisation (min/max, like PatchCore and DFR). */
  calibrationFraction: number;
  maxCalibrationImages: number;
  intraOpNumThreads?: number;
}

export const DEFAULT_DRAEM_CONFIG: DraemConfig = {
  inputSize: 256,
  recBase: 128,
  discBase: 64,
  batch: 8,
  epochs: 700,
  trainSamples: null,
  lr: 1e-4,
  lrMilestones: [0.8, 0.9],
  lrGamma: 0.2,
  scoreFilter: 21,
  cleanProbability: 0.5,
  preRotateProbability: 0.3,
  textureDir: null,
  seed: 0,
  calibrationFraction: 0.2,
  maxCalibrationImages: 50,
};

/**
 * paper: the authors' network and schedule (for a GPU). station: 64 px input, widths 16/8, a
 * fixed budget of simulated samples and 10× the learning rate, sized so 200 images train in
 * ≤ 20 min on the 2-core CPU (docs/benchmarks.md "DRAEM"). The 21-px filter is scaled with the
 * input (21·64/256 ≈ 5).
 */
export const DRAEM_PRESETS: Record<DraemPresetName, Partial<DraemConfig>> = {
  paper: {},
  station: {
    inputSize: 64,
    recBase: 16,
    discBase: 8,
    batch: 8,
    trainSamples: 4800,
    lr: 1e-3,
    scoreFilter: 5,
  },
};

export function resolveDraemConfig(
  preset: DraemPresetName | undefined,
  overrides: Partial<DraemConfig> = {},
): DraemConfig {
  const cfg = { ...DEFAULT_DRAEM_CONFIG, ...DRAEM_PRESETS[preset ?? 'station'], ...overrides };
  for (const k of ['inputSize', 'recBase', 'discBase', 'batch', 'epochs', 'scoreFilter'] as const)
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1)
      throw new RangeError(`DRAEM ${k} must be a positive integer`);
  // Six 2× poolings in the discriminative U-Net.
  if (cfg.inputSize % 32 !== 0)
    throw new RangeError(`DRAEM input size must be a multiple of 32, got ${cfg.inputSize}`);
  if (cfg.scoreFilter % 2 !== 1) throw new RangeError('DRAEM score filter must be odd');
  return cfg;
}

export interface DraemProgress extends MethodProgress {
  stage: 'load' | 'train' | 'calibrate' | 'export';
}

export interface FittedDraem {
  config: DraemConfig;
  preset: DraemPresetName;
  /** The exported graph (both sub-networks + map + score). */
  modelBytes: Uint8Array;
  weights: Map<string, Float32Array>;
  trainImageCount: number;
  userTextureCount: number;
  steps: number;
  epochs: number;
  fingerprint: string;
  epochLosses: number[];
  /** Last-epoch means of the loss terms. */
  lossTerms: { l2: number; ssim: number; focal: number };
  calibration: Calibration;
  timings: Record<string, number>;
}

export interface DraemFitResult extends MethodFitResult {
  epochLosses: number[];
}
