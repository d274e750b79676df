// DRAEM (discriminatively trained reconstruction embedding) on the training engine.
export { fitDraem, draemSchedule, draemPreprocess, textureFiles, type FitDraemOptions } from './fit';
export { exportDraem, buildDraemModelJson, draemDeviations } from './export';
export { startDraemFit, DRAEM_FIT_WORKER_ENTRY, type DraemFitJobData } from './fit-job';
export { buildDraemPackageModel, buildDraemTrainingStep, reconstructive, discriminative } from './graph';
export { BatchMaker, simulateSample } from './simulate';
export {
  DRAEM_PRESETS,
  DRAEM_PRESET_NAMES,
  DRAEM_VERSION,
  DEFAULT_DRAEM_CONFIG,
  resolveDraemConfig,
  type DraemConfig,
  type DraemFitResult,
  type DraemPresetName,
  type DraemProgress,
  type FittedDraem,
} from './types';
