// Fit support every method uses (see src/main/methods/registry.ts for what a method provides).
export { trainingFingerprint } from './fingerprint';
export { StageClock, trainStage, type StageProgress } from './progress';
export type { FitOptions } from './fit-options';
export {
  splitCalibration,
  kFolds,
  summariseCalibration,
  minmaxNormalisation,
  holdOut,
  calibrationSet,
  type Calibration,
  type CalibrationSplitOptions,
} from './calibration';
export {
  buildModelJson,
  isUnitRange,
  nchwInput,
  writePackage,
  type ExportOptions,
  type PackageEnvelope,
} from './package';
export { calibratePackageGraph, scorePackageGraph } from './score';
