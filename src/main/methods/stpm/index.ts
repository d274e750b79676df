// STPM (student–teacher feature pyramid matching) on the training engine.
export { fitStpm, holdOutForValidation, StpmEvaluator, type FitStpmOptions } from './fit';
export { exportStpm, buildStpmModelJson } from './export';
export { startStpmFit, STPM_FIT_WORKER_ENTRY, type StpmFitJobData } from './fit-job';
export {
  buildStpmEvalGraph,
  buildStpmPackageModel,
  buildStpmTrainingStep,
  combineMaps,
  studentNetwork,
  tapDistance,
} from './graph';
export {
  DEFAULT_STPM_CONFIG,
  STPM_PRESETS,
  STPM_PRESET_NAMES,
  STPM_TAPS,
  STPM_VERSION,
  resolveStpmConfig,
  type FittedStpm,
  type StpmConfig,
  type StpmFitResult,
  type StpmPresetName,
  type StpmProgress,
} from './types';
