// Training engine: reverse-mode autodiff over GraphBuilder graphs emitting ONNX training-step
// graphs, run by ONNX Runtime; parameters live in typed arrays between steps.
export { gradients, type GradientOptions } from './autodiff';
export { GRAD_RULES, sumToShape, type GradContext, type GradRule } from './rules';
export { ModelBuilder, initialValue, type BufferSpec, type InitSpec, type TensorSpec } from './model';
export { batchNorm, conv2d, convTranspose2d, linear } from './layers';
export {
  bceLoss,
  bceWithLogitsLoss,
  cosineDistanceLoss,
  focalLoss,
  gaussianWindow,
  l1Loss,
  mseLoss,
  ssimLoss,
} from './losses';
export { emitUpdate, optimizerSlots, type OptimizerSpec } from './optimizers';
export { constantLr, multiStepLr, stepLr, type LrSchedule } from './schedule';
export { buildTrainingStep, type TrainingStepGraph, type TrainingStepOptions } from './train-step';
export { Trainer, type StepResult, type TrainerOptions } from './trainer';
export { runTrainingLoop, CancelledError, type TrainLoopOptions, type TrainProgress } from './loop';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint';
export { interpolationMatrix, meanPoolMatrix } from './interp';
export { Rng } from './rng';
