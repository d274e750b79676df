import type { BackboneSource } from '../types';
import type { ReductionInfo } from './reduction';

export const PATCHCORE_VERSION = '1.0.0';

export interface PatchCoreConfig {
  /** Fraction of all training patches kept in the memory bank (when bankBudget is 0). */
  coresetRatio: number;
  /**
   * > 0: the bank takes bankBudget / featureDim rows (scoring cost per patch), at most 10 % of the
   * patches; see sizing.ts. 0: coresetRatio decides.
   */
  bankBudget: number;
  /** Fixed dimension of the greedy selection's random projection. */
  coresetProjectionDim: number;
  coresetStartPoints: number;
  /** 0 = keep all tap channels; otherwise a projection to this many dims, baked into the graph. */
  reduceDim: number;
  /** What reduceDim projects onto: the training patches' principal axes, or a fixed seeded Gaussian map. */
  reduceBasis: 'pca' | 'gaussian';
  /** 1 = plain max; 9 = paper Eq. 7. */
  numNeighbors: number;
  blurSigma: number;
  /** Bank rows per NN chunk in the graph. */
  chunkSize: number;
  seed: number;
  batchSize: number;
  /** Keep full-dimension features of all patches in memory up to this size; beyond it a second extraction pass gathers the bank. */
  featureBudgetBytes: number;
  /** Fraction of the good images held out (not fitted) to calibrate score normalisation. */
  calibrationFraction: number;
  maxCalibrationImages: number;
}

export const DEFAULT_CONFIG: PatchCoreConfig = {
  coresetRatio: 0.1,
  bankBudget: 0,
  coresetProjectionDim: 128,
  coresetStartPoints: 10,
  reduceDim: 0,
  reduceBasis: 'pca',
  numNeighbors: 9,
  blurSigma: 4,
  chunkSize: 4096,
  seed: 0,
  batchSize: 8,
  featureBudgetBytes: 512 * 1024 * 1024,
  calibrationFraction: 0.1,
  maxCalibrationImages: 50,
};

export type PresetName = 'accurate' | 'fast' | 'fine';

export const PRESET_NAMES: readonly PresetName[] = ['fast', 'accurate', 'fine'];

/**
 * Presets measured in bench.ts (see docs/benchmarks.md for the cost of each option).
 * fine: the fast head on a larger input (backbone.ts PRESET_INPUT_SIZE), for defects of a few
 * pixels; ~7× the fast preset's fit time and latency (numbers in backbone.ts), above the live
 * loop's 25 ms budget: for offline or slow lines.
 */
export const PRESETS: Record<PresetName, Partial<PatchCoreConfig>> = {
  accurate: { coresetRatio: 0.1, reduceDim: 0 },
  fast: { coresetRatio: 0.01, reduceDim: 128, bankBudget: 4096 * 128 },
  fine: { coresetRatio: 0.01, reduceDim: 128 },
};

export function resolveConfig(
  preset: PresetName | undefined,
  overrides: Partial<PatchCoreConfig> = {},
): PatchCoreConfig {
  return { ...DEFAULT_CONFIG, ...(preset ? PRESETS[preset] : {}), ...overrides };
}

export type { Calibration } from '../common';
import type { Calibration } from '../common';

export interface FittedPatchCore {
  config: PatchCoreConfig;
  /** The preset the config came from; absent when the caller gave a config of its own. */
  preset?: PresetName;
  backbone: Omit<BackboneSource, 'model'>;
  /** The backbone model bytes (embedded into every graph we build). */
  backboneBytes: Uint8Array;
  /** Row-major [bankSize, dim]. */
  bank: Float32Array;
  dim: number;
  /** Dense [rawDim, reduceDim] when reduceDim > 0. */
  reduction: Float32Array | null;
  /** How `reduction` was made (recorded in the package). */
  reductionInfo: ReductionInfo | null;
  trainImageCount: number;
  patchCount: number;
  fingerprint: string;
  calibration: Calibration;
  timings: Record<string, number>;
}

export interface FitProgress {
  stage: 'reduction' | 'features' | 'coreset' | 'bank' | 'calibrate' | 'export';
  done: number;
  total: number;
  etaMs: number | null;
}
