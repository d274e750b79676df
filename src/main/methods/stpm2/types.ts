// Two-pair STPM (docs/methods.md "STPM", issue 16 second half): pair 1 is STPM as is; pair 2 is a
// second, different teacher with a reconstruction student (channel + spatial attention on every
// tap) trained on synthetic anomalies to output the clean image's teacher features.
import type { MethodFitResult } from '../types';
import { STPM_TAPS, type FittedStpm, type StpmConfig, type StpmProgress } from '../stpm/types';

export const STPM2_VERSION = '1.0.0';

export type Stpm2PresetName = 'station' | 'paper';
export const STPM2_PRESET_NAMES: readonly Stpm2PresetName[] = ['station', 'paper'];

/** Which maps the exported graph combines: both pairs (the method), or one alone (ablation). */
export type Stpm2Combine = 'both' | 'pair1' | 'pair2';

export interface Stpm2Config {
  /** STPM settings of pair 1 (MobileNetV2 teacher by default). */
  pair1: Partial<StpmConfig>;
  /** STPM settings of pair 2 (InceptionV3 teacher by default). */
  pair2: Partial<StpmConfig>;
  /** Hidden width of the channel-attention MLP = max(4, channels / reduction). */
  attentionReduction: number;
  /** Probability that a training sample of pair 2 is left clean (DRAEM trains with 0.5). */
  cleanProbability: number;
  combine: Stpm2Combine;
}

export const DEFAULT_STPM2_CONFIG: Stpm2Config = {
  pair1: {},
  pair2: { backbone: 'inception_v3', taps: STPM_TAPS.inception_v3 },
  attentionReduction: 16,
  cleanProbability: 0.5,
  combine: 'both',
};

/** Each pair runs the STPM preset of the same name (station: 8 epochs of batch 8; paper: 100 of 32). */
export function resolveStpm2Config(
  preset: Stpm2PresetName | undefined,
  overrides: Partial<Stpm2Config> = {},
): Stpm2Config & { preset: Stpm2PresetName } {
  const d = DEFAULT_STPM2_CONFIG;
  return {
    ...d,
    ...overrides,
    pair1: { ...d.pair1, ...overrides.pair1 },
    pair2: { ...d.pair2, ...overrides.pair2 },
    preset: preset ?? 'station',
  };
}

export interface Stpm2Progress extends Omit<StpmProgress, 'stage'> {
  stage: StpmProgress['stage'];
  /** 1 or 2 while a pair trains; absent for the combined graph's calibration and export. */
  pair?: 1 | 2;
}

export interface FittedStpm2 {
  config: Stpm2Config & { preset: Stpm2PresetName };
  pair1: FittedStpm;
  pair2: FittedStpm;
  /** Per-pair map divisor: the mean calibration image score of that pair's own graph. */
  pairScales: [number, number];
  /** The exported combined graph. */
  modelBytes: Uint8Array;
  inputSize: number;
  preprocess: { resize: number; crop: number; mean: [number, number, number]; std: [number, number, number] };
  calibration: FittedStpm['calibration'];
  timings: Record<string, number>;
}

export type Stpm2FitResult = MethodFitResult;
