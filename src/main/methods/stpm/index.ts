// STPM (student–teacher feature pyramid matching) on the training engine.
export { fitStpm, splitForValidation, StpmEvaluator, type FitStpmOptions } from './fit';
export { exportStpm, buildStpmModelJson, type StpmExportOptions } from './export';
export {
  startStpmFit,
  fitStpmPackage,
  STPM_FIT_WORKER_ENTRY,
  type StpmFitJobData,
  type FitStpmPackageOptions,
} from './fit-job';
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
