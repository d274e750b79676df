// Pretrained feature extractors: bundled Keras conversions, imported ONNX models, cache, bench.
export {
  BUNDLED_BACKBONES,
  CONVERTER_VERSION,
  backboneCacheDir,
  ensureBackbone,
  nominalStride,
  sha256Hex,
} from './registry';
export type {
  BackboneDescriptor,
  BackboneSource,
  BackboneTap,
  BundledBackbone,
  EnsureOptions,
  EnsuredBackbone,
} from './registry';
export { cutOnnxBackbone, importOnnxBackbone } from './importOnnx';
export type { CutBackbone, CutOptions, ImportOptions } from './importOnnx';
export { convertKerasModel, decodeWeights, tfSamePads, ConversionError } from './keras';
export type {
  ConvertOptions,
  ConvertedGraph,
  KerasLayer,
  KerasModelConfig,
  WeightSpec,
  WeightsManifestGroup,
} from './keras';
export { loadNsfwjsModel, nsfwjsWeights, nsfwjsPackageVersion } from './nsfwjs';
export type { NsfwjsModel, NsfwjsVariant } from './nsfwjs';
export { benchBackbones, benchTable } from './bench';
export type { BenchOptions, BenchRow } from './bench';
