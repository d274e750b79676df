// The contract every anomaly method fulfils (see registry.ts for how a method is added). Types
// only: a method folder imports this file, the registry imports the method folders.
import type { JobHandle, WorkerEntry } from '../jobs/worker-job';
import type { LossCurve, TrainingDevice } from '@shared/training';
import type { PreprocessSpec } from '../models/preprocess';
import type { ModelJson } from '../models/schema';
import type { ProviderName } from '../runtime';

export interface TapSpec {
  /** Output name of the tap in the backbone graph. */
  name: string;
  stride: number;
  channels: number;
  /** Spatial size (H = W) of the tap at the model's input size, when not inputSize / stride (valid-padded nets). */
  size?: number;
}

/** A backbone ready to be extended: an ONNX file/bytes, its image input and the two taps to use. */
export interface BackboneSource {
  id: string;
  /** Path of the backbone .onnx or its bytes. */
  model: string | Uint8Array;
  inputName: string;
  /** Finer (stride 8) tap first. */
  taps: [TapSpec, TapSpec];
  preprocess: PreprocessSpec;
}

export interface PresetCost {
  /** Fit wall time per fitted good image, ms. */
  perImageMs: number;
  /** Fixed wall time per fit (backbone, worker start, export), ms. */
  fixedMs: number;
  /** Scoring time per calibration/synthetic/defect image after the fit, ms. */
  scoreMs: number;
}

export interface MethodPreset {
  id: string;
  label: string;
  description: string;
  /** Backbone the preset fits on (shown to the operator). */
  backbone: string;
  /** Offered by the training wizard (a preset without a measured `prior` never is). */
  wizard: boolean;
  /** One-line hint for the CLI's --preset error, e.g. "larger input for defects of a few pixels". */
  note?: string;
  /**
   * Prior cost before this station has measured its own (the wizard's CostModel replaces it with
   * measured figures after the first fit). Each figure names its source in the method's file.
   */
  prior?: PresetCost;
  /**
   * The fit's largest arrays in bytes for `images` fitted images: a formula over the preset's own
   * sizes (features, bank, training rows), not a measurement; ONNX Runtime's arena comes on top.
   */
  memoryBytes(images: number): number;
}

export interface MethodProgress {
  stage: string;
  done: number;
  total: number;
  etaMs: number | null;
  epoch?: number;
  epochs?: number;
  loss?: number;
  /** Train/validation loss per epoch (methods that train on the engine). */
  curve?: LossCurve;
  /** Where the training ran and why faster providers were skipped. */
  device?: TrainingDevice;
}

export interface MethodFitRequest {
  /** Good images (paths or encoded bytes) to fit on. */
  images: (string | Uint8Array)[];
  /** Held-out good images that set score normalisation; absent: the method holds out its own. */
  calibrationImages?: (string | Uint8Array)[];
  preset: string;
  /** The package folder (model.onnx + model.json); checkpoints of training methods live here too. */
  outDir: string;
  /** The data cache root (<dataDir>/cache); converted backbones go to <cacheDir>/backbones. */
  cacheDir: string;
  /** From `resolveBackbone` (or a test's tiny one); null for methods that load their own. */
  backbone: BackboneSource | null;
  /** Fit beside the live loop: a method may then use fewer threads. */
  background?: boolean;
  /** Resize + centre crop instead of squashing the whole frame (methods with `centerCrop`). */
  centerCrop?: boolean;
  /** Merged into model.json metrics. */
  metrics?: Record<string, unknown>;
  /**
   * Execution providers a training step tries, in order (the wizard passes inference's order from
   * Settings → Inference runtime); default: the engine's (cuda → dml → coreml → webgpu → cpu).
   */
  providerOrder?: ProviderName[];
  /** Method-specific config overrides (the conformance test's `testConfig`). */
  config?: Record<string, unknown>;
}

export interface MethodFitResult {
  dir: string;
  modelJson: ModelJson;
  onnxBytes: number;
  timings: Record<string, number>;
}

export interface AnomalyMethod {
  /** model.json `method`, CLI --method, wizard id, bundle worker entry `<id>-fit-worker`. */
  id: string;
  label: string;
  description: string;
  needs: {
    /** Fits on features of a pretrained backbone. */
    pretrainedBackbone: boolean;
    /** Trains weights by gradient descent (src/main/engine): checkpoint and resume apply. */
    gradientTraining: boolean;
  };
  /** The package's graph outputs an anomaly map; false: image score only (no heatmap). */
  pixelMap: boolean;
  /** An interrupted fit resumes from its checkpoint in outDir when rerun with the same data. */
  resumable: boolean;
  /** Accepts a folder of texture images as `config.textureDir` (CLI --textures; DRAEM's anomaly source). */
  textureFolder?: boolean;
  /** Supports `centerCrop` in the fit request (CLI --center-crop). */
  centerCrop: boolean;
  /** Backbone ids the CLI accepts (--backbone); the first is the default. */
  backbones: readonly string[];
  /** Presets, smallest first; `defaultPreset` is used when none is named. */
  presets: readonly MethodPreset[];
  defaultPreset: string;
  /** Overrides that shrink the smallest preset to seconds for the conformance test. */
  testConfig: Record<string, unknown>;
  /** The worker-thread entry its fit runs in (src/main/methods/<id>/fit.worker.ts). */
  workerEntry: WorkerEntry;
  availability(): { available: boolean; reason: string };
  /** Prepares (converts, caches) the backbone a preset fits on; null when the method loads its own. */
  resolveBackbone(o: {
    preset: string;
    cacheDir: string;
    backboneId?: string;
  }): Promise<BackboneSource | null>;
  /** Starts fit + export in the method's worker thread: progress with ETA, cancel(), result. */
  fit(req: MethodFitRequest, onProgress?: (p: MethodProgress) => void): JobHandle<MethodFitResult>;
  /** `station bench --only <id>`: measures the method on the evaluation data; a markdown section. */
  bench?(ctx: { cacheDir: string; dataRoot: string; log: (line: string) => void }): Promise<string>;
  /** The preset of a package that does not record `params.preset` (older packages). */
  presetOf?(json: ModelJson): string | null;
}
