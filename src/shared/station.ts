// DTOs the live station emits and returns. Everything here is plain JSON (no typed arrays, no
// Buffers), shared by the main process and the UI, and forwarded unchanged over IPC and WebSocket.

export type Verdict = 'PASS' | 'REVIEW' | 'FAIL';

export type SourceStateKind = 'idle' | 'running' | 'waiting' | 'error' | 'reconnecting' | 'stopped';

export interface SourceState {
  kind: SourceStateKind;
  message: string;
}

export type Stage = 'decode' | 'inference' | 'post' | 'logging';

export interface LatencySummary {
  /** Over the last `window` inspected frames. */
  mean: number | null;
  p50: number | null;
  p95: number | null;
  /** Since start. */
  worst: number | null;
  last: number | null;
  window: number;
}

export interface StageSummary {
  /** Mean ms per inspected frame in each stage since start. */
  meanMs: Record<Stage, number>;
  /** Share of the summed stage time, 0..1. */
  share: Record<Stage, number>;
}

export interface Thresholds {
  t1: number;
  t2: number;
}

export interface ModelSummary {
  dir: string;
  /** Stored in inspections.model_id. */
  id: string;
  version: number;
  method: string;
  kind: 'native' | 'anomalib';
  /** Execution provider ONNX Runtime actually uses (always shown to the operator). */
  provider: string;
  inputWidth: number;
  inputHeight: number;
  thresholds: Thresholds;
  /** Thresholds as shipped in the model package (before any live change). */
  packageThresholds: Thresholds;
  /** Frames per inference call when several wait (1 = batching off or not faster). */
  batchMax: number;
  warmupMs: number;
}

export type StationStatus = 'idle' | 'loading' | 'ready' | 'running' | 'stopping' | 'error';

export interface StationState {
  status: StationStatus;
  message: string;
  model: ModelSummary | null;
  source: { label: string; kind: string; state: SourceState } | null;
  /** The product the line runs (recorded on every inspection); null when none is selected. */
  product: { id: string; name: string } | null;
  /** The current (or last) run: one start of the line; ids are never reused. */
  run: { id: number; startedAt: string } | null;
  /** Last fault that needs the operator's attention (model cannot load, source gone); null when fine. */
  error: { kind: StationErrorKind; message: string } | null;
}

export type StationErrorKind = 'model' | 'source' | 'corrupt_frame' | 'inference' | 'store' | 'logging';

/** Payload of 'source.error' (also used for frame-level faults, which originate at the source). */
export interface StationErrorEvent {
  kind: StationErrorKind;
  message: string;
  source: string | null;
  frameId?: string;
  /** True when the station carries on by itself (retry scheduled, frame skipped). */
  recoverable: boolean;
  at: string;
}

export interface RejectEntry {
  inspectionId: number;
  frameId: string;
  at: string;
  verdict: Exclude<Verdict, 'PASS'>;
  normScore: number;
  name: string | null;
}

/** 'station.result': the newest result, throttled to ≤ 10 per second; UI-ready, no raw floats. */
export interface ResultSnapshot {
  frameId: string;
  name: string | null;
  source: string;
  at: string;
  verdict: Verdict;
  rawScore: number;
  normScore: number;
  thresholds: Thresholds;
  latencyMs: number;
  /** Null until the row is committed (rows are written in batches every ≤ 250 ms). */
  inspectionId: number | null;
  modelId: string;
  provider: string;
  /** JPEG of the frame, at most 480 px wide. */
  image: { jpegBase64: string; width: number; height: number };
  /**
   * 8-bit anomaly map at the model's input size: 0 = at or below `rangeMin`, 255 = at or above
   * `rangeMax` (raw map units; rangeMax is the FAIL threshold on the raw scale), so colours mean
   * the same from frame to frame. null: the model is image-level (no map; the UI says so).
   */
  heatmap: {
    base64: string;
    width: number;
    height: number;
    rangeMin: number;
    rangeMax: number;
    /** Where the map lies on the frame (added by the station services from the model package). */
    fit?: HeatmapFit;
  } | null;
  storeError: string | null;
}

/**
 * The model's view of a frame: the shorter side resized to `resize`, then a centred square of
 * `crop` pixels (the map's size). resize = 0 means the whole frame was squeezed to crop × crop.
 * The UI needs this to lay a heatmap over the right part of the picture.
 */
export interface HeatmapFit {
  resize: number;
  crop: number;
  /** The model is image-level (model.json `outputs.map: null`): there is no heatmap to show. */
  imageLevel?: boolean;
}

/** 'station.stats', once per second while running and once when it stops. */
export interface StationStats {
  at: string;
  running: boolean;
  startedAt: string | null;
  framesReceived: number;
  framesInspected: number;
  /** Frames dropped because inspection was slower than the source. */
  overruns: number;
  corruptFrames: number;
  inferenceErrors: number;
  fps: number;
  latencyMs: LatencySummary;
  yield: { pass: number; review: number; fail: number };
  storeErrors: number;
  lastStoreError: string | null;
  rowsLogged: number;
  /** Results waiting to be written (encoding, image store or the next batch insert). */
  logBacklog: number;
  queue: { depth: number; capacity: number };
  batchMax: number;
  stages: StageSummary;
  rejects: RejectEntry[];
}

export interface StationEvents {
  'station.state': StationState;
  'station.result': ResultSnapshot;
  'station.stats': StationStats;
  'source.error': StationErrorEvent;
}

export type StationEventName = keyof StationEvents;
export type StationEventSink = <E extends StationEventName>(name: E, payload: StationEvents[E]) => void;
