// Fit support every method uses (see src/main/methods/registry.ts for what a method provides).
export { trainingFingerprint } from './fingerprint';
export { StageClock, type StageProgress } from './progress';
export {
  splitCalibration,
  kFolds,
  summariseCalibration,
  minmaxNormalisation,
  type Calibration,
  type CalibrationSplitOptions,
} from './calibration';
export { buildModelJson, writePackage, type PackageEnvelope } from './package';
