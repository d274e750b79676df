// The live inspection loop: source → bounded drop-oldest queue → decode → ONNX model (batched
// when several frames wait and batching is measurably faster) → verdict from two thresholds →
// batched logging (image store + SQLite) → throttled UI events. Faults become state and events;
// nothing a source, a frame, a model file or the disk does may throw out of this class's loop.
import { basename, isAbsolute, join } from 'node:path';
import { ZodError } from 'zod';
import { encodePng } from '../imaging/encode';
import { rgbToNchw } from '../models/preprocess';
import { loadModelPackage, type ModelRunner } from '../models/runner';
import { verdictOf } from '../models/schema';
import { createSource } from '../sources';
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from '../sources/config';
import type { Frame, FrameSink, FrameSource, SourceState } from '../sources/types';
import type { AuditEntry, AuditTrail } from '../storage/audit-trail';
import type { Db } from '../storage/database';
import type { ImageStore } from '../storage/image-store';
import { InspectionRepository, type NewInspection, type Verdict } from '../storage/inspections';
import { RunRepository } from '../storage/runs';
import type { SettingsStore } from '../storage/settings-store';
import {
  CorruptFrameError,
  decodeFrameForModel,
  heatmapPng,
  heatRange,
  map8,
  sniff,
  storedFrameJpeg,
  thumbnailJpeg,
} from './frames';
import { ResultLogger } from './logger';
import type { DiskGuard } from '../storage/disk-guard';
import { DropOldestQueue } from './queue';
import { LiveStats } from './stats';
import type {
  ModelSummary,
  RejectEntry,
  ResultSnapshot,
  StationErrorEvent,
  StationErrorKind,
  StationEventName,
  StationEvents,
  StationEventSink,
  StationState,
  StationStats,
  StationStatus,
  Thresholds,
} from './types';

export interface LiveStationOptions {
  /** Frames that may wait for inspection; older ones are dropped as overruns beyond this. */
  queueCapacity?: number;
  /**
   * 'auto' measures at load whether a batch of `maxBatch` is faster per frame than single frames;
   * 'on' batches whenever the model accepts batches; 'off' never batches.
   */
  batch?: 'auto' | 'on' | 'off';
  maxBatch?: number;
  /** ≤ this many 'station.result' events per second. */
  resultEventsPerSecond?: number;
  statsIntervalMs?: number;
  flushMs?: number;
  flushRows?: number;
  /** Inspected frames kept in memory for "save this frame as good". */
  recentFrames?: number;
  rejectRing?: number;
  intraOpNumThreads?: number;
  /** Shift label stored with each row (e.g. from a shift calendar). */
  shift?: () => string | null;
  /**
   * The line stops when the database has refused inspection rows for this long (reserve already
   * released): parts must not pass unrecorded, and rows held in memory would be lost to a kill.
   */
  unloggedStopMs?: number;
}

export interface LiveStationDeps {
  db: Db;
  audit: AuditTrail;
  settings: SettingsStore;
  images: ImageStore;
  /** Relative model folders given to loadModel are resolved against this. */
  modelsDir: string;
  events: StationEventSink;
  /**
   * Called for every verdict, unthrottled and before logging, so line outputs (stack light,
   * reject gate) react within the cycle. Must return at once and never throw.
   */
  onVerdict?: (verdict: Verdict) => void;
  /** Every inspection row as it is queued for logging (plant outputs); same rules as onVerdict. */
  onResult?: (row: NewInspection) => void;
  options?: LiveStationOptions;
  /** Free-space floor for images and the database reserve (storage/disk-guard). */
  diskGuard?: DiskGuard;
}

interface Queued {
  frame: Frame;
  receivedAt: number;
}

interface LoadedModel {
  runner: ModelRunner;
  summary: ModelSummary;
  fingerprint: string;
}

interface PendingResult {
  frame: Frame;
  /** null: image-level model (no map to show or store). */
  heat8: Uint8Array | null;
  range: { min: number; max: number };
  row: NewInspection;
  thresholds: Thresholds;
  model: ModelSummary;
  inspectionId: number | null;
  storeError: string | null;
  emitted: boolean;
}

export class StationError extends Error {
  constructor(
    readonly code: 'no_model' | 'not_running' | 'frame_gone' | 'bad_thresholds' | 'invalid_source',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StationError';
  }
}

/** The source's own name for a frame: the file name, or the time into the stream. */
export function sourceRefOf(frame: Pick<Frame, 'name' | 'streamTime'>): string | null {
  if (frame.name) return frame.name;
  if (frame.streamTime !== undefined && Number.isFinite(frame.streamTime))
    return `t=${frame.streamTime.toFixed(3)}s`;
  return null;
}

const EXT_OF: Record<string, string> = { jpg: 'jpg', png: 'png', bmp: 'bmp', tiff: 'tif', webp: 'webp' };

export class LiveStation {
  private unloggedTimer: NodeJS.Timeout | null = null;
  private readonly opts: Required<Omit<LiveStationOptions, 'shift' | 'intraOpNumThreads'>> &
    Pick<LiveStationOptions, 'shift' | 'intraOpNumThreads'>;
  private readonly repo: InspectionRepository;
  private readonly runs: RunRepository;
  private readonly logger: ResultLogger;
  private readonly queue: DropOldestQueue<Queued>;
  private readonly statsData = new LiveStats();
  private status: StationStatus = 'idle';
  private message = 'no model loaded';
  private fault: StationState['error'] = null;
  private model: LoadedModel | null = null;
  private thresholds: Thresholds | null = null;
  private source: FrameSource | null = null;
  private sourceConfig: SourceConfig | null = null;
  private sourceSeq = 0;
  private product: { id: string; name: string } | null = null;
  private run: { id: number; startedAt: string } | null = null;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private statsTimer: NodeJS.Timeout | null = null;
  private resultTimer: NodeJS.Timeout | null = null;
  private emittingResult = false;
  private lastResultEmitAt = 0;
  private latest: PendingResult | null = null;
  private lastSnapshot: ResultSnapshot | null = null;
  /** Inspected frames kept in memory by inspection id, for a lossless "save as good". */
  private readonly held = new Map<number, Frame>();
  private rejects: RejectEntry[] = [];
  private startedAtIso: string | null = null;
  private lifecycle: Promise<unknown> = Promise.resolve();
  private storeErrorCode = '';
  private storeErrorAt = 0;

  constructor(private readonly deps: LiveStationDeps) {
    const o = deps.options ?? {};
    this.opts = {
      queueCapacity: o.queueCapacity ?? 4,
      batch: o.batch ?? 'auto',
      maxBatch: Math.max(1, o.maxBatch ?? 4),
      resultEventsPerSecond: o.resultEventsPerSecond ?? 10,
      statsIntervalMs: o.statsIntervalMs ?? 1000,
      flushMs: o.flushMs ?? 250,
      flushRows: o.flushRows ?? 50,
      recentFrames: o.recentFrames ?? 8,
      rejectRing: o.rejectRing ?? 20,
      shift: o.shift,
      intraOpNumThreads: o.intraOpNumThreads,
      unloggedStopMs: o.unloggedStopMs ?? 10_000,
    };
    this.queue = new DropOldestQueue<Queued>(this.opts.queueCapacity);
    this.repo = new InspectionRepository(deps.db);
    this.runs = new RunRepository(deps.db);
    const retention = (): ReturnType<SettingsStore['get']>['retention'] => deps.settings.get().retention;
    this.logger = new ResultLogger(
      this.repo,
      deps.images,
      retention,
      {
        storeError: (message, row) => {
          this.statsData.storeErrors += 1;
          this.statsData.lastStoreError = message;
          if (this.latest && this.latest.row.frameId === row.frameId) this.latest.storeError = message;
          // A full disk fails every frame, each with its own file name in the message: report a
          // new kind of failure at once, the same kind again at most every 10 s (stats count all).
          const code = message.slice(0, message.indexOf(':'));
          const now = Date.now();
          if (
            this.fault?.kind !== 'store' ||
            code !== this.storeErrorCode ||
            now - this.storeErrorAt > 10_000
          ) {
            this.storeErrorCode = code;
            this.storeErrorAt = now;
            this.fault = { kind: 'store', message };
            this.emitError('store', message, true, row.frameId ?? undefined);
            this.emitState();
          }
        },
        insertError: (message) => {
          this.fault = { kind: 'logging', message };
          this.emitError('logging', message, true);
          this.emitState();
          this.armUnloggedStop();
        },
        storageState: (st) => {
          // One state for the whole episode; cleared when space returns or writes recover.
          if (st.message) {
            this.fault = { kind: 'store', message: st.message };
            this.emitError('store', st.message, true);
          } else if (this.fault?.kind === 'store' || this.fault?.kind === 'logging') {
            this.fault = null;
          }
          this.emitState();
        },
        committed: (n) => {
          this.statsData.rowsLogged += n;
        },
        timing: (encodeMs, logMs, frames) => {
          this.statsData.stage('post', encodeMs, 0);
          this.statsData.stage('logging', logMs, frames);
        },
      },
      { flushMs: this.opts.flushMs, flushRows: this.opts.flushRows, guard: deps.diskGuard },
    );
  }

  // ---------------- public API ----------------

  /**
   * Loads a model package (absolute path, or a folder name under modelsDir), warms it up with one
   * dummy inference and decides on batching. While running, the new model takes over after the
   * frames in flight. On failure the previous model (if any) stays, the state says why, and the
   * error is rethrown for the caller.
   */
  loadModel(dir: string, opts: { id?: string; version?: number } = {}): Promise<ModelSummary> {
    return this.serial(() => this.loadModelNow(dir, opts));
  }

  /** Starts inspecting frames from a source (restarts when already running). */
  start(config: SourceConfigInput): Promise<StationState> {
    return this.serial(() => this.startNow(config));
  }

  stop(): Promise<StationState> {
    return this.serial(() => this.stopNow());
  }

  /** Stops and releases the model session; the station is unusable afterwards. */
  close(): Promise<void> {
    return this.serial(async () => {
      if (this.unloggedTimer) clearTimeout(this.unloggedTimer);
      this.unloggedTimer = null;
      await this.stopNow();
      await this.logger.close();
      const m = this.model;
      this.model = null;
      await m?.runner.release();
    });
  }

  /**
   * Changes T1/T2 live. Audited (old and new values, who, why) in the same transaction as the
   * stored override, so a threshold never changes without a trace; the override is re-applied
   * when the same model is loaded again.
   */
  setThresholds(
    next: Thresholds,
    actor: string,
    reason: string,
  ): { old: Thresholds; new: Thresholds; auditId: number } {
    const m = this.model;
    if (!m || !this.thresholds)
      throw new StationError('no_model', 'no model is loaded; thresholds belong to a model');
    if (!Number.isFinite(next.t1) || !Number.isFinite(next.t2) || next.t1 > next.t2) {
      throw new StationError(
        'bad_thresholds',
        `thresholds must be finite with T1 ≤ T2 (got T1 = ${next.t1}, T2 = ${next.t2})`,
      );
    }
    if (!reason || !reason.trim())
      throw new StationError('bad_thresholds', 'a reason is required to change thresholds');
    const old = { ...this.thresholds };
    const value = { t1: next.t1, t2: next.t2 };
    const row = this.deps.db.transaction(() => {
      this.deps.settings.setInternal(this.thresholdKey(m), value);
      return this.deps.audit.append({
        actor,
        action: 'thresholds.update',
        entity: `model:${m.summary.id}`,
        oldValue: JSON.stringify(old),
        newValue: JSON.stringify(value),
        reason,
      });
    })();
    this.thresholds = value;
    m.summary = { ...m.summary, thresholds: value };
    this.emitState();
    return { old, new: value, auditId: row.id };
  }

  /**
   * The product recorded on every inspection from the next frame on (the caller restarts the line
   * when the switch should also start a new run).
   */
  setProduct(product: { id: string; name: string } | null): void {
    this.product = product ? { id: product.id, name: product.name } : null;
    this.emitState();
  }

  /** The source configuration the line runs (or last ran); null before the first start. */
  currentSource(): SourceConfig | null {
    return this.sourceConfig;
  }

  /**
   * The original bytes of a recently inspected frame, by inspection id (frame ids restart with
   * the process, inspection ids never do): lossless, where the stored copy is a JPEG. Null once
   * the frame has left the last `recentFrames`.
   */
  async heldOriginal(inspectionId: number): Promise<{ data: Uint8Array; ext: string } | null> {
    const frame = this.held.get(inspectionId);
    if (!frame) return null;
    if (Buffer.isBuffer(frame.image))
      return { data: frame.image, ext: EXT_OF[sniff(frame.image) ?? ''] ?? 'bin' };
    return { data: await encodePng(frame.image, { compressionLevel: 6 }), ext: 'png' };
  }

  state(): StationState {
    return {
      status: this.status,
      message: this.message,
      model: this.model ? { ...this.model.summary } : null,
      source:
        this.source && this.sourceConfig
          ? { label: this.source.label, kind: this.sourceConfig.kind, state: this.source.state() }
          : null,
      product: this.product ? { ...this.product } : null,
      run: this.run ? { ...this.run } : null,
      error: this.fault,
    };
  }

  stats(): StationStats {
    const s = this.statsData;
    return {
      at: new Date().toISOString(),
      running: this.running,
      startedAt: this.startedAtIso,
      framesReceived: s.received,
      framesInspected: s.inspected,
      overruns: this.queue.overruns,
      corruptFrames: s.corrupt,
      inferenceErrors: s.inferenceErrors,
      fps: s.fps(),
      latencyMs: s.latency(),
      yield: { pass: s.yieldCount.PASS, review: s.yieldCount.REVIEW, fail: s.yieldCount.FAIL },
      storeErrors: s.storeErrors,
      lastStoreError: s.lastStoreError,
      rowsLogged: s.rowsLogged,
      logBacklog: this.logger.depth,
      queue: { depth: this.queue.size, capacity: this.queue.capacity },
      batchMax: this.model?.summary.batchMax ?? 1,
      stages: s.stages(),
      rejects: [...this.rejects],
    };
  }

  /** The newest result as last sent to the UI (null before the first). */
  lastResult(): ResultSnapshot | null {
    return this.lastSnapshot ? { ...this.lastSnapshot } : null;
  }

  /** Resolves when every result inspected so far is committed to the database. */
  flush(): Promise<void> {
    return this.logger.drain();
  }

  // ---------------- lifecycle ----------------

  /** start/stop/loadModel run one at a time, in call order, so they never interleave half-way. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lifecycle.then(fn, fn);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  private async loadModelNow(dir: string, opts: { id?: string; version?: number }): Promise<ModelSummary> {
    const full = isAbsolute(dir) ? dir : join(this.deps.modelsDir, dir);
    if (!this.running) this.setStatus('loading', `loading model ${full}`);
    let runner: ModelRunner | null = null;
    try {
      runner = await loadModelPackage(full, {
        providerOrder: this.deps.settings.get().providerOrder,
        intraOpNumThreads: this.opts.intraOpNumThreads,
      });
      const info = runner.info;
      const { warmupMs, batchMax } = await this.warmUp(runner);
      const id = opts.id ?? basename(full);
      const fingerprint = info.meta?.training.fingerprint ?? `${info.kind}-${info.width}x${info.height}`;
      const loaded: LoadedModel = {
        runner,
        fingerprint,
        summary: {
          dir: full,
          id,
          version: opts.version ?? 1,
          method: info.method,
          kind: info.kind,
          provider: info.provider,
          inputWidth: info.width,
          inputHeight: info.height,
          thresholds: { ...info.thresholds },
          packageThresholds: { ...info.thresholds },
          batchMax,
          warmupMs,
        },
      };
      const override = this.deps.settings.getInternal<Thresholds>(this.thresholdKey(loaded));
      const thresholds =
        override && Number.isFinite(override.t1) && Number.isFinite(override.t2) && override.t1 <= override.t2
          ? { t1: override.t1, t2: override.t2 }
          : { ...info.thresholds };
      loaded.summary.thresholds = thresholds;

      const old = this.model;
      // The loop reads this.model per batch; the old session is released only after the batch
      // that may still be using it.
      this.model = loaded;
      this.thresholds = thresholds;
      await this.inflight;
      await old?.runner.release();
      if (this.fault?.kind === 'model') this.fault = null;
      if (this.running) this.setStatus('running', this.runningMessage());
      else this.setStatus('ready', `model ${id} loaded (${info.method}, ${info.provider})`);
      return { ...loaded.summary };
    } catch (e) {
      await runner?.release().catch(() => undefined);
      const message = `model ${full} could not be loaded: ${(e as Error).message}`;
      this.fault = { kind: 'model', message };
      this.emitError('model', message, this.model !== null);
      if (this.model)
        this.setStatus(
          this.running ? 'running' : 'ready',
          `${message}; still using ${this.model.summary.id}`,
        );
      else this.setStatus('error', message);
      throw e;
    }
  }

  /**
   * One dummy inference (the first run allocates and JIT-plans; it must not land on a real part).
   * With batch 'auto' also times single frames against one batch: batching pays only if the
   * model's per-frame cost falls, which depends on the model and the provider.
   */
  private async warmUp(runner: ModelRunner): Promise<{ warmupMs: number; batchMax: number }> {
    const { width: w, height: h } = runner.info;
    const one = new Float32Array(3 * w * h);
    const t0 = performance.now();
    await runner.runTensor(one, 1);
    const warmupMs = performance.now() - t0;
    if (this.opts.batch === 'off' || this.opts.maxBatch <= 1) return { warmupMs, batchMax: 1 };
    try {
      let single = Infinity;
      for (let i = 0; i < 2; i++) {
        const t = performance.now();
        await runner.runTensor(one, 1);
        single = Math.min(single, performance.now() - t);
      }
      const b = this.opts.maxBatch;
      const many = new Float32Array(b * 3 * w * h);
      await runner.runTensor(many, b); // first run at a new shape plans memory; not timed
      if (this.opts.batch === 'on') return { warmupMs, batchMax: b };
      const t = performance.now();
      await runner.runTensor(many, b);
      const perFrame = (performance.now() - t) / b;
      return { warmupMs, batchMax: perFrame < 0.85 * single ? b : 1 };
    } catch {
      // A fixed batch dimension of 1 (common in exported graphs) rejects N > 1.
      return { warmupMs, batchMax: 1 };
    }
  }

  private async startNow(config: SourceConfigInput): Promise<StationState> {
    let parsed: SourceConfig;
    try {
      parsed = sourceConfigSchema.parse(config);
    } catch (e) {
      const msg =
        e instanceof ZodError
          ? e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
          : String(e);
      throw new StationError('invalid_source', `invalid source configuration: ${msg}`, { cause: e });
    }
    if (this.running) await this.stopNow();
    if (!this.model) {
      const message = 'cannot start: no model loaded';
      this.fault = this.fault?.kind === 'model' ? this.fault : { kind: 'model', message };
      this.setStatus('error', this.fault.message);
      throw new StationError('no_model', message);
    }
    const source = createSource(`s${++this.sourceSeq}`, parsed);
    this.source = source;
    this.sourceConfig = parsed;
    this.queue.clear();
    this.queue.overruns = 0;
    this.statsData.reset();
    this.rejects = [];
    this.startedAtIso = new Date().toISOString();
    // Each start is a run: frame ids restart with every source, the run id tells them apart.
    this.run = {
      id: this.runs.open({
        startedAt: this.startedAtIso,
        productId: this.product?.id ?? null,
        modelId: this.model.summary.id,
        source: source.label,
      }),
      startedAt: this.startedAtIso,
    };
    if (this.fault?.kind !== 'model') this.fault = null;
    this.running = true;
    // Still refused from before the stop: the same grace time applies to the new run.
    if (this.logger.refusing) this.armUnloggedStop();
    this.loopDone = this.loop();
    this.statsTimer = setInterval(() => this.emit('station.stats', this.stats()), this.opts.statsIntervalMs);
    this.statsTimer.unref();
    this.setStatus('running', this.runningMessage());
    await source.start(this.sinkFor(source));
    return this.state();
  }

  private async stopNow(): Promise<StationState> {
    if (!this.running) return this.state();
    this.setStatus('stopping', 'stopping');
    const source = this.source;
    await source?.stop().catch(() => undefined);
    this.running = false;
    this.queue.clear();
    this.queue.wakeAll();
    await this.loopDone;
    await this.logger.drain();
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    if (this.resultTimer) clearTimeout(this.resultTimer);
    this.resultTimer = null;
    // The last result still goes out (the operator must see the final part), within the rate limit.
    if (this.latest && !this.latest.emitted) {
      const wait = this.lastResultEmitAt + 1000 / this.opts.resultEventsPerSecond - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.emitResult();
    }
    this.emit('station.stats', this.stats());
    if (this.run) this.runs.end(this.run.id, new Date().toISOString());
    this.setStatus(this.model ? 'ready' : 'idle', 'stopped');
    return this.state();
  }

  /** Called on the first refused batch of an outage; stops the line if the refusal outlasts the grace time. */
  private armUnloggedStop(): void {
    if (this.unloggedTimer) return;
    this.unloggedTimer = setTimeout(() => {
      this.unloggedTimer = null;
      if (!this.logger.refusing || !this.running) return;
      const message =
        `line stopped: inspection records could not be written for ${Math.round(this.opts.unloggedStopMs / 1000)} s ` +
        `(${this.logger.depth} rows waiting; free disk space, then start the line again)`;
      // The fault is set first so no one sees the line stopped without the reason.
      this.fault = { kind: 'logging', message };
      this.emitError('logging', message, true);
      void this.stop().then(() => {
        this.auditWhenWritable({ actor: 'station', action: 'station.stop', entity: 'line', reason: message });
        this.emitState();
      });
    }, this.opts.unloggedStopMs);
    this.unloggedTimer.unref();
  }

  /** The audit row of an automatic stop may meet the same full disk: retried until it is written. */
  private auditWhenWritable(entry: AuditEntry, delayMs = 2000): void {
    try {
      this.deps.audit.append(entry);
    } catch {
      setTimeout(() => this.auditWhenWritable(entry, delayMs), delayMs).unref();
    }
  }

  private runningMessage(): string {
    const m = this.model?.summary;
    return `inspecting ${this.source?.label ?? '?'} with ${m?.id ?? '?'} (${m?.provider ?? '?'})`;
  }

  private sinkFor(source: FrameSource): FrameSink {
    const current = (): boolean => this.source === source && this.running;
    return {
      frame: (frame) => {
        if (!current()) return;
        this.statsData.received += 1;
        this.queue.push({ frame, receivedAt: performance.now() });
      },
      state: (s: SourceState) => {
        if (this.source !== source) return;
        if (s.kind === 'error' || s.kind === 'waiting' || s.kind === 'reconnecting')
          this.fault = { kind: 'source', message: s.message };
        else if (s.kind === 'running' && this.fault?.kind === 'source') this.fault = null;
        this.emitState();
      },
      error: (e) => {
        if (this.source !== source) return;
        this.emitError('source', e.message, e.recoverable, e.item);
      },
      ready: () => this.queue.whenEmpty(),
    };
  }

  // ---------------- the loop ----------------

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.queue.size === 0) {
        await this.queue.whenNotEmpty();
        continue;
      }
      const m = this.model;
      if (!m) break;
      const items = this.queue.take(m.summary.batchMax);
      this.inflight = this.processBatch(items, m).catch((e: unknown) => {
        // processBatch handles the faults it expects; this keeps an unexpected one from ending the loop.
        this.emitError('inference', `unexpected error in the inspection loop: ${(e as Error).message}`, true);
      });
      await this.inflight;
    }
  }

  private async processBatch(items: Queued[], m: LoadedModel): Promise<void> {
    const info = m.runner.info;
    const spec = info.preprocess;
    const t0 = performance.now();
    const decoded = await Promise.all(
      items.map(async (it) => {
        try {
          return { it, crop: await decodeFrameForModel(it.frame.image, spec, it.frame.name ?? it.frame.id) };
        } catch (e) {
          this.statsData.corrupt += 1;
          // A decode error already names the file; anything else gets the frame's name in front.
          const why =
            e instanceof CorruptFrameError
              ? e.message
              : `${it.frame.name ?? it.frame.id}: cannot prepare frame: ${(e as Error).message}`;
          this.emitError('corrupt_frame', why, true, it.frame.id);
          return null;
        }
      }),
    );
    const ok = decoded.filter((d): d is NonNullable<typeof d> => d !== null);
    if (ok.length === 0) return;
    const n = ok.length;
    const x = new Float32Array(n * 3 * info.width * info.height);
    ok.forEach((d, i) => rgbToNchw(d.crop, spec, x, i));
    const t1 = performance.now();
    this.statsData.stage('decode', t1 - t0, n);

    let outputs;
    try {
      outputs = await m.runner.runTensor(x, n);
    } catch (e) {
      this.statsData.inferenceErrors += n;
      this.emitError(
        'inference',
        `inference failed for ${n} frame(s): ${(e as Error).message}`,
        true,
        ok[0].it.frame.id,
      );
      return;
    }
    const t2 = performance.now();
    this.statsData.stage('inference', t2 - t1, n);

    const thresholds = this.thresholds ?? info.thresholds;
    const range = heatRange(info.normalisation, thresholds.t2);
    for (let i = 0; i < n; i++) {
      const tp = performance.now();
      const { it } = ok[i];
      const out = outputs[i];
      const verdict: Verdict = verdictOf(out.normScore, thresholds);
      try {
        this.deps.onVerdict?.(verdict);
      } catch {
        // Line outputs report their own faults; they must never stop inspection.
      }
      const latencyMs = performance.now() - it.receivedAt;
      this.statsData.result(verdict, latencyMs);
      const frame = it.frame;
      const row: NewInspection = {
        at: frame.at,
        source: frame.source,
        frameId: frame.id,
        modelId: m.summary.id,
        modelVersion: m.summary.version,
        rawScore: out.rawScore,
        normScore: out.normScore,
        verdict,
        latencyMs,
        shift: this.opts.shift?.() ?? null,
        productId: this.product?.id ?? null,
        runId: this.run?.id ?? null,
        sourceRef: sourceRefOf(frame),
      };
      try {
        this.deps.onResult?.(row);
      } catch {
        // Plant outputs count their own failures; they must never stop inspection.
      }
      const map = out.map;
      const heat8 = map ? map8(map, range) : null;
      const pending: PendingResult = {
        frame,
        heat8,
        range,
        row,
        thresholds,
        model: m.summary,
        inspectionId: null,
        storeError: null,
        emitted: false,
      };
      this.latest = pending;
      this.scheduleResultEmit();
      this.statsData.stage('post', performance.now() - tp, 1);
      await this.logger.enqueue({
        row,
        files: async () => ({
          image: { data: await storedFrameJpeg(frame.image), ext: 'jpg' },
          heatmap: map
            ? { data: await heatmapPng(map, out.width, out.height, range), ext: 'png' }
            : undefined,
        }),
        onLogged: (id, logged) => this.onLogged(id, logged, frame),
      });
    }
  }

  private onLogged(id: number, row: NewInspection, frame: Frame): void {
    if (this.latest && this.latest.frame.id === frame.id) this.latest.inspectionId = id;
    if (this.lastSnapshot && this.lastSnapshot.frameId === frame.id) this.lastSnapshot.inspectionId = id;
    this.remember(id, frame);
    if (row.verdict !== 'PASS') {
      this.rejects.unshift({
        inspectionId: id,
        frameId: frame.id,
        at: row.at,
        verdict: row.verdict,
        normScore: row.normScore,
        name: frame.name ?? null,
      });
      if (this.rejects.length > this.opts.rejectRing) this.rejects.length = this.opts.rejectRing;
    }
  }

  private remember(inspectionId: number, frame: Frame): void {
    this.held.set(inspectionId, frame);
    while (this.held.size > this.opts.recentFrames) this.held.delete(this.held.keys().next().value as number);
  }

  // ---------------- events ----------------

  private scheduleResultEmit(): void {
    if (this.resultTimer || this.emittingResult) return;
    const minGap = 1000 / this.opts.resultEventsPerSecond;
    const wait = Math.max(0, this.lastResultEmitAt + minGap - performance.now());
    this.resultTimer = setTimeout(() => {
      this.resultTimer = null;
      void this.emitResult();
    }, wait);
  }

  /** Builds the UI snapshot of the newest result only: intermediate results are skipped, not queued. */
  private async emitResult(): Promise<void> {
    const r = this.latest;
    if (!r || r.emitted || this.emittingResult) return;
    r.emitted = true;
    this.emittingResult = true;
    try {
      const thumb = await thumbnailJpeg(r.frame.image);
      const snap: ResultSnapshot = {
        frameId: r.frame.id,
        name: r.frame.name ?? null,
        source: r.frame.source,
        at: r.row.at,
        verdict: r.row.verdict,
        rawScore: r.row.rawScore,
        normScore: r.row.normScore,
        thresholds: r.thresholds,
        latencyMs: r.row.latencyMs,
        inspectionId: r.inspectionId,
        modelId: r.model.id,
        provider: r.model.provider,
        image: { jpegBase64: thumb.data.toString('base64'), width: thumb.width, height: thumb.height },
        heatmap: r.heat8
          ? {
              base64: Buffer.from(r.heat8.buffer, r.heat8.byteOffset, r.heat8.byteLength).toString('base64'),
              width: r.model.inputWidth,
              height: r.model.inputHeight,
              rangeMin: r.range.min,
              rangeMax: r.range.max,
            }
          : null,
        storeError: r.storeError,
      };
      this.lastSnapshot = snap;
      // The rate limit counts from the moment of sending, so a slow preview cannot squeeze the gap.
      this.lastResultEmitAt = performance.now();
      this.emit('station.result', snap);
    } catch (e) {
      this.emitError(
        'inference',
        `could not build the result preview: ${(e as Error).message}`,
        true,
        r.frame.id,
      );
    } finally {
      this.emittingResult = false;
      if (this.latest && !this.latest.emitted && this.running) this.scheduleResultEmit();
    }
  }

  private emit<E extends StationEventName>(name: E, payload: StationEvents[E]): void {
    try {
      this.deps.events(name, payload);
    } catch {
      // A broken subscriber (closed socket) must not break inspection.
    }
  }

  private emitError(kind: StationErrorKind, message: string, recoverable: boolean, frameId?: string): void {
    const ev: StationErrorEvent = {
      kind,
      message,
      source: this.source?.label ?? null,
      recoverable,
      at: new Date().toISOString(),
    };
    if (frameId !== undefined) ev.frameId = frameId;
    this.emit('source.error', ev);
  }

  private setStatus(status: StationStatus, message: string): void {
    this.status = status;
    this.message = message;
    this.emitState();
  }

  private emitState(): void {
    this.emit('station.state', this.state());
  }

  private thresholdKey(m: Pick<LoadedModel, 'summary' | 'fingerprint'>): string {
    const id = m.summary.id.replace(/[^a-z0-9_-]/gi, '_').slice(0, 50);
    const fp = m.fingerprint.replace(/[^a-z0-9_-]/gi, '_').slice(0, 16);
    return `station.thresholds.${id}.${fp}`;
  }
}
