// Training engine: reverse-mode autodiff over GraphBuilder graphs emitting ONNX training-step
// graphs, run by ONNX Runtime; parameters live in typed arrays between steps.
export {
  gradients,
  defineGradient,
  stopGradient,
  type GradientOptions,
  type CompositeGradRule,
} from './autodiff';
export { GRAD_RULES, sumToShape, type GradContext, type GradRule } from './rules';
export {
  ModelBuilder,
  initialValue,
  dropoutMask,
  type BufferSpec,
  type InitSpec,
  type MaskSpec,
  type TensorSpec,
} from './model';
export { batchNorm, conv2d, convTranspose2d, dropout, linear } from './layers';
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
export {
  runTrainingLoop,
  CancelledError,
  type TrainLoopOptions,
  type TrainProgress,
  type ValidationOptions,
} from './loop';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint';
export { interpolationMatrix, meanPoolMatrix } from './interp';
export { createRng, type Rng } from '../util/rng';
export { AlternatingTrainer } from './alternating';
export { LossCurveRecorder } from './curve';
export { augmentBatch, augmentSample, drawAugment, type AugmentOptions, type SampleAugment } from './augment';
export { convWeightGradGemm, type ConvGeometry } from './conv-grads';
