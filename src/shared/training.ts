// DTOs of the retraining wizard and the model store. Plain JSON only: they cross IPC and HTTP
// unchanged and the renderer imports them without pulling in anything from the main process.

// ---------- Scan ----------

export interface ScanFile {
  file: string;
  reason: string;
}

export interface SizeCount {
  width: number;
  height: number;
  count: number;
}

export interface FolderScan {
  dir: string;
  /** Files with an image extension (masks excluded). */
  imageFiles: number;
  /** Decoded within the pixel limit. */
  readable: number;
  /** Readable and not an exact copy of an earlier file: what training would use. */
  usable: number;
  unreadable: ScanFile[];
  /** Groups of byte-identical files (sha256); the first file of each group is kept. */
  duplicates: Array<{ sha256: string; files: string[] }>;
  sizes: SizeCount[];
  /** Channel counts in the files as stored (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). */
  channels: Array<{ channels: number; count: number }>;
  /** Files without an image extension (ignored). */
  otherFiles: number;
  /** Defect folders only: masks found next to the images or in an MVTec ground_truth folder. */
  masks: number;
  bytes: number;
}

export type ScanIssueLevel = 'block' | 'warn' | 'info';

export interface ScanIssue {
  level: ScanIssueLevel;
  code:
    | 'too_few'
    | 'few'
    | 'unreadable'
    | 'duplicates'
    | 'mixed_sizes'
    | 'mixed_channels'
    | 'no_defects'
    | 'other_files'
    | 'small_images';
  message: string;
}

export interface ScanReport {
  good: FolderScan;
  defects: FolderScan | null;
  issues: ScanIssue[];
  /** False when an issue blocks training (fewer than the minimum usable images). */
  canTrain: boolean;
  scannedAt: string;
  ms: number;
}

// ---------- Methods ----------

export interface PresetInfo {
  id: string;
  label: string;
  description: string;
  backbone: string;
  /** Estimated fit cost per good image (ms) on this station, and what the figure rests on. */
  perImageMs: number;
  fixedMs: number;
  /** Scoring cost per calibration image (ms). */
  scoreMs: number;
  basis: 'measured' | 'benchmark';
  /** e.g. "measured on this station over 3 fits" or "benchmark: docs/benchmarks.md, 2-core CPU". */
  basisText: string;
}

export interface MethodInfo {
  id: string;
  label: string;
  description: string;
  available: boolean;
  /** Why the method is or is not available here. */
  reason: string;
  presets: PresetInfo[];
}

export interface TrainingEstimate {
  method: string;
  preset: string;
  images: number;
  fitImages: number;
  calibrationImages: number;
  /** Total expected wall time, ms. */
  ms: number;
  basis: PresetInfo['basis'];
  basisText: string;
}

// ---------- Jobs ----------

export type TrainingJobState =
  'preparing' | 'fitting' | 'paused' | 'calibrating' | 'ready' | 'saved' | 'failed' | 'cancelled';

/** A paused job: who paused it, why, and the optimizer step its checkpoint holds. */
export interface TrainingPause {
  at: string;
  by: string;
  reason: string;
  /** Completed training steps when it stopped (null: paused before the first step was reported). */
  step: number | null;
  totalSteps: number | null;
}

export interface TrainingProgress {
  /** preparing | reduction | features | coreset | bank | calibrate | export | scoring */
  stage: string;
  stageLabel: string;
  done: number;
  total: number;
  /** Whole job, 0..1. */
  fraction: number;
  /** Time left for the whole job, ms; null while unknown. */
  etaMs: number | null;
}

export interface TrainingJobDto {
  id: string;
  state: TrainingJobState;
  method: string;
  preset: string;
  backbone: string;
  goodDir: string;
  defectDir: string | null;
  startedAt: string;
  finishedAt: string | null;
  elapsedMs: number;
  estimateMs: number;
  progress: TrainingProgress;
  fitImages: number;
  heldOutImages: number;
  defectImages: number;
  /** Set when state is failed. */
  error: string | null;
  /** Model id once saved. */
  savedAs: string | null;
  actor: string;
  /** Methods that train with the engine: losses so far (absent for fit-only methods). */
  lossCurve?: LossCurve | null;
  /** Methods that train with the engine: where the training step ran. */
  device?: TrainingDevice | null;
  /** The method trains by gradient steps, so the job can be paused and resumed (PatchCore cannot). */
  pausable?: boolean;
  /** Set while the job is paused (it survives a station restart). */
  paused?: TrainingPause | null;
}

// ---------- Engine training ----------

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LossCurve {
  /** Training loss by optimizer step (thinned to at most a few hundred points, means of spans). */
  train: LossPoint[];
  /** Validation loss on held-out images at each evaluation. */
  validation: LossPoint[];
  /** Best validation so far (its weights are the best checkpoint). */
  best: LossPoint | null;
  /**
   * Adversarial methods: the other players' training loss by step beside `train` (e.g. `train` is
   * the generator's and `players.discriminator` the discriminator's).
   */
  players?: Record<string, LossPoint[]>;
  /** What `train` and `validation` measure when not a plain loss (e.g. "1 − AUROC"). */
  labels?: { train?: string; validation?: string };
}

export interface TrainingDevice {
  /** Execution provider that ran the training step (cpu, cuda, dml, coreml, webgpu). */
  provider: string;
  /** Providers tried before it, and why each was skipped. */
  skipped: Array<{ name: string; reason: string }>;
}

// ---------- Calibration ----------

export interface CalibrationExample {
  kind: 'good' | 'synthetic' | 'defect';
  name: string;
  score: number;
  verdict: 'PASS' | 'REVIEW' | 'FAIL';
  /** JPEG of the model's view with the heatmap blended over it (the view alone when imageLevel). */
  overlayJpegBase64: string;
  width: number;
  height: number;
  /** The model is image-level: no heatmap exists, the UI says so. */
  imageLevel?: boolean;
}

export interface CalibrationRates {
  t1: number;
  t2: number;
  /** Held-out good images that would FAIL. */
  falseRejectRate: number;
  goodReviewRate: number;
  /** Synthetic anomalies that would PASS. */
  syntheticEscapeRate: number | null;
  syntheticReviewRate: number | null;
  /** Real defects that would PASS (null without a defect folder). */
  defectEscapeRate: number | null;
  defectReviewRate: number | null;
}

/**
 * The good parts' FAIL and REVIEW rates at the chosen thresholds, estimated out of sample: the
 * held-out good images are split into k folds, and each fold is scored with a normalisation (and,
 * for suggested thresholds, thresholds) derived from the other folds only. In-sample rates count
 * the very images the range and thresholds were fitted to, so they read 0 % by construction.
 */
export interface OutOfSampleEstimate {
  method: 'k-fold';
  folds: number;
  images: number;
  /** 'suggested': each fold re-runs the threshold suggestion; 'fixed': T1/T2 as given. */
  thresholds: 'suggested' | 'fixed';
  confidence: number;
  falseRejects: number;
  falseRejectRate: number;
  /** Wilson score interval at `confidence` over the pooled out-of-fold counts. */
  falseRejectInterval: [number, number];
  goodReviews: number;
  goodReviewRate: number;
  goodReviewInterval: [number, number];
  /** Per-fold false-reject rates: the cross-validation spread. */
  foldFalseRejectRates: number[];
}

export interface CalibrationReport {
  jobId: string;
  /** Normalised scores (the scale T1/T2 live on). */
  goodScores: number[];
  syntheticScores: number[];
  defectScores: number[];
  histogram: {
    edges: number[];
    good: number[];
    synthetic: number[];
    defect: number[];
  };
  targetFalseRejectRate: number;
  suggested: { t1: number; t2: number };
  /** On the held-out good images themselves (the ones the range and suggestion came from). */
  rates: CalibrationRates;
  /** Out-of-sample good-part rates; null when too few held-out images (see outOfSampleNote). */
  outOfSample: OutOfSampleEstimate | null;
  outOfSampleNote: string | null;
  /** Image AUROC, good vs synthetic, and good vs real defects when given (NaN → null). */
  aurocSynthetic: number | null;
  aurocDefect: number | null;
  examples: CalibrationExample[];
  fitMs: number;
  calibrationMs: number;
}

// ---------- Model store ----------

export interface ModelVersionDto {
  id: string;
  /** The name given when it was saved or imported; null for versions saved without one. */
  name: string | null;
  version: number;
  method: string;
  kind: 'native' | 'anomalib';
  backbone: string | null;
  preset: string | null;
  path: string;
  /** Training-set fingerprint (sha256 over the sorted image hashes); null for imports without one. */
  fingerprint: string | null;
  createdAt: string;
  active: boolean;
  origin: 'trained' | 'imported' | 'demo' | 'registered';
  thresholds: { t1: number; t2: number };
  inputSize: { width: number; height: number };
  training: {
    goodDir: string | null;
    defectDir: string | null;
    imageCount: number | null;
    calibrationCount: number | null;
  };
  /** Calibration metrics at save time (rates, AUROC, target false-reject rate). */
  metrics: Record<string, unknown>;
  /** The version it replaced when it was trained (lineage), if any. */
  parentId: string | null;
  notes: string | null;
  importedFrom: string | null;
  /** Last time it went live, if ever. */
  deployedAt: string | null;
  /** The product it was trained for (selected on the line when training started); null if none. */
  productId: string | null;
}

export interface ModelCompareRow {
  file: string;
  a: { score: number; verdict: 'PASS' | 'REVIEW' | 'FAIL' } | null;
  b: { score: number; verdict: 'PASS' | 'REVIEW' | 'FAIL' } | null;
  /** Why a model could not score the image. */
  error: string | null;
  agree: boolean;
}

export interface ModelCompareResult {
  folder: string;
  a: { id: string; version: number; thresholds: { t1: number; t2: number } };
  b: { id: string; version: number; thresholds: { t1: number; t2: number } };
  rows: ModelCompareRow[];
  scored: number;
  agreement: number;
  /** Counts per verdict pair, key "A→B", e.g. "PASS→REVIEW". */
  matrix: Record<string, number>;
  /** Images in the folder beyond the limit, not scored. */
  skipped: number;
  ms: number;
}

export interface DeviceConfigView {
  config: Record<string, unknown>;
  example: Record<string, unknown>;
  lampPatterns: string[];
  buzzerPatterns: string[];
}
