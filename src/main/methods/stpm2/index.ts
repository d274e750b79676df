// Two-pair STPM (STPM + a second teacher with a reconstruction student) on the training engine.
export { fitStpm2, anomalyCorruption, type FitStpm2Options } from './fit';
export { exportStpm2, buildStpm2ModelJson } from './export';
export { startStpm2Fit, STPM2_FIT_WORKER_ENTRY, type Stpm2FitJobData } from './fit-job';
export { attention, buildStpm2PackageModel, inlineNetwork, reconstructionStudent } from './graph';
export { stpm2Method } from './method';
export {
  DEFAULT_STPM2_CONFIG,
  STPM2_PRESET_NAMES,
  STPM2_VERSION,
  resolveStpm2Config,
  type FittedStpm2,
  type Stpm2Config,
  type Stpm2PresetName,
  type Stpm2Progress,
} from './types';
