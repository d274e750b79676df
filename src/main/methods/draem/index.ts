// DRAEM (discriminatively trained reconstruction embedding) on the training engine.
export {
  fitDraem,
  scoreDraem,
  draemSchedule,
  draemPreprocess,
  textureFiles,
  type FitDraemOptions,
} from './fit';
export { exportDraem, buildDraemModelJson, draemDeviations, type DraemExportOptions } from './export';
export { startDraemFit, fitDraemPackage, DRAEM_FIT_WORKER_ENTRY, type DraemFitJobData } from './fit-job';
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
