// Evaluation library: dataset readers, metrics, reports. The `station eval` CLI wires these to
// the model runner.
export * from './datasets';
export * from './metrics';
export * from './report';
export * from './image-io';
export { naturalCompare, naturalSort } from './natural-sort';
export { evenSubsample, evaluateRunner } from './runner-eval';
