// DFR (deep feature reconstruction) on the training engine.
export { fitDfr, type FitDfrOptions } from './fit';
export { dfrMethod } from './method';
export { exportDfr, buildDfrModelJson } from './export';
export { startDfrFit, DFR_FIT_WORKER_ENTRY, type DfrFitJobData } from './fit-job';
export {
  aeWidths,
  regionalMatrix,
  buildDfrPackageModel,
  buildDfrTrainingStep,
  buildFeatureModel,
} from './graph';
export { componentsFor } from './pca';
export {
  DFR_PRESETS,
  DFR_TAPS,
  DFR_VERSION,
  DEFAULT_DFR_CONFIG,
  resolveDfrConfig,
  type DfrConfig,
  type DfrFitResult,
  type DfrPresetName,
  type DfrProgress,
  type FittedDfr,
} from './types';
