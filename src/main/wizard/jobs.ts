// Training jobs of the wizard: one at a time. A job fits in a worker thread into a staging folder
// (<dataDir>/training/<jobId>), then calibrates on the main thread (ONNX Runtime sessions are
// async, so the live loop keeps its turn), and waits for the operator to save or discard it.
// Only `save` moves the package under models/ and adds the models row, so a cancelled or failed
// job leaves neither behind.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type {
  CalibrationReport,
  ModelVersionDto,
  TrainingEstimate,
  TrainingJobDto,
  TrainingProgress,
} from '@shared/training';
import { JobCancelledError } from '../jobs/worker-job';
import { modelJsonSchema } from '../models/schema';
import { presetOf, type ModelStore } from '../model-store/store';
import type { BackboneSource } from '../methods/types';
import type { SettingsStore } from '../storage/settings-store';
import {
  CalibrationCancelled,
  calibrate,
  ratesAt,
  suggestThresholds,
  type CalibrationData,
} from './calibrate';
import { crossValidateGoodRates } from './cross-validate';
import { CostModel, cacheDirOf, findMethod, splitCounts } from './methods';
import { scanTrainingFolders, type ScannedImage } from './scan';
import { DomainError } from '../util/errors';
import { createRng } from '../util/rng';
import { trainingProviderOrder } from '../runtime';
import {
  PauseRefused,
  pauseRefusal,
  readPausedRecord,
  removePausedRecord,
  writePausedRecord,
} from './paused-jobs';

export interface TrainingDeps {
  dataDir: string;
  modelsDir: string;
  store: ModelStore;
  settings: SettingsStore;
  /** Announces every state or progress change ('training.progress'). */
  emit: (job: TrainingJobDto) => void;
  /** Deploys a saved version (LiveStation.loadModel + models row), used by save({deploy}). */
  deploy: (id: string, actor: string, reason: string) => Promise<ModelVersionDto>;
  /** Tests substitute a tiny backbone; the station uses the method's own. */
  backboneFor?: (method: string, preset: string) => Promise<BackboneSource>;
  /** The product selected on the line; a model remembers it as the product it was trained for. */
  productOf?: () => string | null;
}

export interface StartRequest {
  goodDir: string;
  defectDir?: string | null;
  method: string;
  preset: string;
  actor: string;
}

export interface SaveRequest {
  jobId: string;
  name?: string;
  t1: number;
  t2: number;
  targetFalseRejectRate: number;
  deploy: boolean;
  actor: string;
  reason: string;
  notes?: string;
}

/** How long a pausing worker may take to reach its step boundary and write its checkpoint. */
const PAUSE_GRACE_MS = 120_000;

export const STAGE_LABEL: Readonly<Record<string, string>> = {
  preparing: 'Preparing the backbone',
  reduction: 'Finding the principal axes of the good images',
  features: 'Extracting features of the good images',
  coreset: 'Selecting the memory bank (coreset)',
  bank: 'Gathering the memory bank',
  calibrate: 'Scoring held-out images for normalisation',
  export: 'Writing the model package',
  scoring: 'Calibrating: held-out, synthetic and defect images',
  // Trained methods (their stages fill the bar one after another: no shares measured yet).
  load: 'Loading the good images',
  pca: 'Choosing the latent size from the features’ variance',
  train: 'Training',
  validate: 'Scoring the validation images',
};

/** Share of the whole job each stage stands for, measured roughly on the fast preset. */
const STAGE_SPAN: Record<string, [number, number]> = {
  preparing: [0, 0.05],
  reduction: [0.05, 0.1],
  features: [0.1, 0.35],
  coreset: [0.35, 0.6],
  bank: [0.6, 0.65],
  calibrate: [0.65, 0.7],
  export: [0.7, 0.75],
  scoring: [0.75, 1],
};

interface Job {
  dto: TrainingJobDto;
  staging: string;
  fit: ScannedImage[];
  heldOut: ScannedImage[];
  defects: ScannedImage[];
  masks: Map<string, string>;
  run: { result: Promise<void>; cancel(graceMs?: number): void } | null;
  cancelled: boolean;
  /** Set by pause(): the worker's stop is a pause (checkpoint and staging kept), not a cancel. */
  pausing: { by: string; reason: string } | null;
  /** Settles when the job stops working (ready, failed or cancelled) and its files are final. */
  done: Promise<void>;
  calibration: CalibrationData | null;
  /** The product selected when training started (what deploys check a model against). */
  productId: string | null;
  t0: number;
  firstFeatureAt: number | null;
  fitEndedAt: number | null;
}

export class TrainingJobs {
  private job: Job | null = null;
  private saving = false;
  readonly costs: CostModel;

  constructor(private readonly deps: TrainingDeps) {
    this.costs = new CostModel(deps.settings);
  }

  /**
   * Staging folders of a previous process that died mid-job are never valid; drop them. A paused
   * job's folder (its record beside its checkpoint) is kept and becomes the current job again.
   */
  async cleanLeftovers(): Promise<void> {
    const names = await fsp.readdir(this.workDir()).catch(() => [] as string[]);
    for (const name of names.sort().reverse()) {
      const staging = join(this.workDir(), name);
      const rec = this.job ? null : await readPausedRecord(staging);
      if (!rec || rec.dto.id !== name || !findMethod(rec.dto.method)) {
        await fsp.rm(staging, { recursive: true, force: true });
        continue;
      }
      this.job = {
        dto: { ...rec.dto, progress: { ...rec.dto.progress, etaMs: null }, error: null },
        staging,
        fit: rec.fit,
        heldOut: rec.heldOut,
        defects: rec.defects,
        masks: new Map(rec.masks),
        run: null,
        cancelled: false,
        pausing: null,
        done: Promise.resolve(),
        calibration: null,
        productId: rec.productId,
        t0: performance.now(),
        firstFeatureAt: null,
        fitEndedAt: null,
      };
    }
  }

  private workDir(): string {
    return join(this.deps.dataDir, 'training');
  }

  current(): TrainingJobDto | null {
    if (!this.job) return null;
    return this.snapshot(this.job);
  }

  estimate(method: string, preset: string, good: number, defects: number): TrainingEstimate | null {
    return this.costs.estimate(method, preset, splitCounts(good, defects));
  }

  async start(req: StartRequest): Promise<TrainingJobDto> {
    this.refuseWhilePaused();
    const method = findMethod(req.method);
    if (!method) throw new DomainError('invalid', `Unknown training method "${req.method}".`);
    const availability = method.availability();
    if (!availability.available) throw new DomainError('invalid', `${method.label}: ${availability.reason}`);
    const preset = method.presets.find((p) => p.id === req.preset);
    if (!preset) {
      throw new DomainError(
        'invalid',
        `${method.label} has no preset "${req.preset}" (presets: ${method.presets.map((p) => p.id).join(', ')}).`,
      );
    }
    const running = this.job && ['preparing', 'fitting', 'calibrating'].includes(this.job.dto.state);
    if (running)
      throw new DomainError('conflict', `A training job (${this.job!.dto.id}) is already running.`);
    if (this.saving) throw new DomainError('conflict', 'A model is being saved; try again in a moment.');

    // A FolderError is a DomainError ('invalid'): it reaches the caller as bad input as it is.
    const scan = await scanTrainingFolders(req.goodDir, req.defectDir ?? null);
    if (!scan.report.canTrain) {
      throw new DomainError('invalid', scan.report.issues.find((i) => i.level === 'block')!.message);
    }
    // A finished but unsaved job is superseded by the new one.
    if (this.job) await this.discard(this.job.dto.id).catch(() => undefined);

    const good = scan.good.usable;
    const counts = splitCounts(good.length, scan.defects?.usable.length ?? 0);
    const { fit, heldOut } = splitHeldOut(good, counts.calibration);
    const id = `job-${new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
    const staging = join(this.workDir(), id);
    const estimate = this.costs.estimate(method.id, preset.id, counts);
    const now = new Date().toISOString();
    const job: Job = {
      dto: {
        id,
        state: 'preparing',
        method: method.id,
        preset: preset.id,
        backbone: preset.backbone,
        goodDir: scan.report.good.dir,
        defectDir: scan.report.defects?.dir ?? null,
        startedAt: now,
        finishedAt: null,
        elapsedMs: 0,
        estimateMs: estimate?.ms ?? 0,
        progress: progressOf('preparing', 0, 1, null, estimate?.ms ?? null),
        fitImages: fit.length,
        heldOutImages: heldOut.length,
        defectImages: scan.defects?.usable.length ?? 0,
        error: null,
        savedAs: null,
        actor: req.actor,
        pausable: pauseRefusal(method, 'fitting') === null,
      },
      staging,
      fit,
      heldOut,
      defects: scan.defects?.usable ?? [],
      masks: scan.defects?.masks ?? new Map(),
      run: null,
      cancelled: false,
      pausing: null,
      done: Promise.resolve(),
      calibration: null,
      productId: this.deps.productOf?.() ?? null,
      t0: performance.now(),
      firstFeatureAt: null,
      fitEndedAt: null,
    };
    this.job = job;
    await fsp.rm(staging, { recursive: true, force: true });
    await fsp.mkdir(this.workDir(), { recursive: true });
    job.done = this.execute(job, method.id, preset.id);
    this.publish(job);
    return this.snapshot(job);
  }

  private async execute(job: Job, methodId: string, presetId: string): Promise<void> {
    const method = findMethod(methodId)!;
    try {
      const cacheDir = cacheDirOf(this.deps.dataDir);
      const backbone = this.deps.backboneFor
        ? await this.deps.backboneFor(methodId, presetId)
        : await method.resolveBackbone({ preset: presetId, cacheDir });
      if (job.cancelled) throw new JobCancelledError();
      job.dto.state = 'fitting';
      this.publish(job);
      const handle = method.fit(
        {
          images: job.fit.map((i) => i.path),
          calibrationImages: job.heldOut.map((i) => i.path),
          preset: presetId,
          outDir: job.staging,
          cacheDir,
          backbone,
          background: true,
          metrics: { wizard: { preset: presetId } },
          providerOrder: trainingProviderOrder(this.deps.settings.get().providerOrder),
        },
        (p) => {
          if (job.cancelled) return;
          if (p.stage === 'features' && job.firstFeatureAt === null) job.firstFeatureAt = performance.now();
          if (p.curve) job.dto.lossCurve = p.curve;
          if (p.device) job.dto.device = p.device;
          job.dto.progress = progressOf(p.stage, p.done, p.total, p.etaMs, this.remainingGuess(job, p.stage));
          this.publish(job, true);
        },
      );
      job.run = {
        result: handle.result.then(() => undefined),
        cancel: (graceMs = 2000) => handle.cancel(graceMs),
      };
      await job.run.result;
      job.run = null;
      // The fit ended before it saw the pause: it goes on to calibration like any finished fit.
      job.pausing = null;
      if (job.cancelled) throw new JobCancelledError();
      job.fitEndedAt = performance.now();
      job.dto.state = 'calibrating';
      job.dto.progress = progressOf('scoring', 0, 1, null, this.remainingGuess(job, 'scoring'));
      this.publish(job);
      job.calibration = await calibrate({
        modelDir: job.staging,
        heldOut: job.heldOut,
        defects: job.defects,
        isCancelled: () => job.cancelled,
        onProgress: (done, total) => {
          const elapsed = performance.now() - (job.fitEndedAt ?? performance.now());
          const eta = done > 0 ? (elapsed / done) * (total - done) : null;
          job.dto.progress = progressOf('scoring', done, total, eta, eta);
          this.publish(job, true);
        },
      });
      job.calibration.fitMs = job.fitEndedAt - job.t0;
      job.dto.state = 'ready';
      job.dto.finishedAt = new Date().toISOString();
      job.dto.progress = { ...progressOf('scoring', 1, 1, 0, 0), fraction: 1 };
      this.recordCost(job);
      this.publish(job);
    } catch (err) {
      job.run = null;
      if (job.pausing && !job.cancelled && err instanceof JobCancelledError) {
        await this.enterPause(job, job.pausing);
        return;
      }
      await fsp.rm(job.staging, { recursive: true, force: true }).catch(() => undefined);
      if (job.cancelled || err instanceof JobCancelledError || err instanceof CalibrationCancelled) {
        job.dto.state = 'cancelled';
        job.dto.error = null;
      } else {
        job.dto.state = 'failed';
        job.dto.error = err instanceof Error ? err.message : String(err);
      }
      job.dto.finishedAt = new Date().toISOString();
      this.publish(job);
    }
  }

  private recordCost(job: Job): void {
    const cal = job.calibration;
    if (!cal || job.fitEndedAt === null) return;
    const startFeatures = job.firstFeatureAt ?? job.t0;
    const perImageMs = (job.fitEndedAt - startFeatures) / Math.max(1, job.fit.length);
    const scored = cal.good.length + cal.synthetic.length + cal.defect.length;
    this.costs.record(job.dto.method, job.dto.preset, {
      perImageMs,
      fixedMs: startFeatures - job.t0,
      scoreMs: cal.ms / Math.max(1, scored),
    });
  }

  /** Before the worker reports an ETA of its own, the estimate minus the time spent. */
  private remainingGuess(job: Job, _stage: string): number | null {
    if (!job.dto.estimateMs) return null;
    return Math.max(0, job.dto.estimateMs - (performance.now() - job.t0));
  }

  /** Cancels a running job and waits until its staging folder is gone. */
  async cancel(jobId: string): Promise<TrainingJobDto> {
    const job = this.requireJob(jobId);
    if (['preparing', 'fitting', 'calibrating'].includes(job.dto.state)) {
      job.cancelled = true;
      job.run?.cancel();
      await job.done;
    } else if (job.dto.state === 'ready' || job.dto.state === 'paused') {
      await this.discard(jobId);
    }
    return this.snapshot(job);
  }

  /** Drops a finished, unsaved (or paused) job and its staged package or checkpoint. */
  async discard(jobId: string): Promise<TrainingJobDto> {
    const job = this.requireJob(jobId);
    if (['preparing', 'fitting', 'calibrating'].includes(job.dto.state)) return this.cancel(jobId);
    if (job.dto.state === 'ready' || job.dto.state === 'paused') {
      job.dto.paused = null;
      await fsp.rm(job.staging, { recursive: true, force: true });
      job.dto.state = 'cancelled';
      job.calibration = null;
      this.publish(job);
    }
    return this.snapshot(job);
  }

  calibration(
    jobId: string,
    opts: { targetFalseRejectRate: number; reviewBudget: number; t1?: number; t2?: number },
  ): CalibrationReport {
    const job = this.requireJob(jobId);
    const cal = job.calibration;
    if (!cal) {
      throw new DomainError(
        'conflict',
        job.dto.state === 'saved'
          ? `Job ${jobId} was saved as ${job.dto.savedAs}; its calibration is in the model's metrics.`
          : `Job ${jobId} has no calibration yet (state: ${job.dto.state}).`,
      );
    }
    return reportOf(job.dto.id, cal, opts);
  }

  async save(req: SaveRequest): Promise<ModelVersionDto> {
    const job = this.requireJob(req.jobId);
    const cal = job.calibration;
    if (job.dto.state !== 'ready' || !cal) {
      throw new DomainError('conflict', `Job ${req.jobId} cannot be saved (state: ${job.dto.state}).`);
    }
    if (this.saving) throw new DomainError('conflict', 'A model is already being saved.');
    this.saving = true;
    const { store } = this.deps;
    try {
      const jsonPath = join(job.staging, 'model.json');
      const json = modelJsonSchema.parse(JSON.parse(await fsp.readFile(jsonPath, 'utf8')));
      const report = reportOf(job.dto.id, cal, {
        targetFalseRejectRate: req.targetFalseRejectRate,
        reviewBudget: 0,
        t1: req.t1,
        t2: req.t2,
      });
      const metrics = {
        targetFalseRejectRate: req.targetFalseRejectRate,
        heldOutGood: cal.good.length,
        synthetic: cal.synthetic.length,
        defects: cal.defect.length,
        /** In sample: on the held-out goods the range and thresholds came from (optimistic). */
        falseRejectRate: report.rates.falseRejectRate,
        goodReviewRate: report.rates.goodReviewRate,
        /** Out of sample (k-fold over the held-out goods) with its 95 % interval and fold spread. */
        falseRejectEstimate: report.outOfSample,
        ...(report.outOfSampleNote ? { falseRejectEstimateNote: report.outOfSampleNote } : {}),
        syntheticEscapeRate: report.rates.syntheticEscapeRate,
        defectEscapeRate: report.rates.defectEscapeRate,
        aurocSynthetic: report.aurocSynthetic,
        aurocDefect: report.aurocDefect,
        fitMs: Math.round(cal.fitMs ?? 0),
      };
      // Thresholds travel inside the package (as HALCON does), so a copied folder keeps them.
      const updated = modelJsonSchema.parse({
        ...json,
        ...(req.name ? { name: req.name } : {}),
        thresholds: { t1: req.t1, t2: req.t2 },
        params: { ...json.params, preset: job.dto.preset },
        metrics: { ...json.metrics, wizard: metrics },
      });
      await fsp.writeFile(`${jsonPath}.tmp`, `${JSON.stringify(updated, null, 2)}\n`);
      await fsp.rename(`${jsonPath}.tmp`, jsonPath);

      const version = store.nextVersion();
      const id = `${job.dto.method}-v${version}-${updated.training.fingerprint.slice(0, 8)}`;
      const finalDir = join(this.deps.modelsDir, id);
      await fsp.mkdir(this.deps.modelsDir, { recursive: true });
      await fsp.rename(job.staging, finalDir);
      const parent = store.active();
      let saved: ModelVersionDto;
      try {
        saved = store.register(
          {
            id,
            method: updated.method,
            backbone: updated.backbone.id,
            path: finalDir,
            fingerprint: updated.training.fingerprint,
            meta: {
              kind: 'native',
              name: updated.name ?? null,
              preset: presetOf(updated),
              origin: 'trained',
              thresholds: updated.thresholds,
              inputSize: { width: updated.input.width, height: updated.input.height },
              training: {
                goodDir: job.dto.goodDir,
                defectDir: job.dto.defectDir,
                imageCount: updated.training.imageCount,
                calibrationCount: cal.good.length,
              },
              metrics,
              parentId: parent?.id ?? null,
              notes: req.notes?.trim() || null,
              importedFrom: null,
              deployedAt: null,
              productId: job.productId,
            },
          },
          { actor: req.actor, action: 'models.create', reason: req.reason },
        );
      } catch (err) {
        // No row, no folder: a version exists completely or not at all.
        await fsp.rm(finalDir, { recursive: true, force: true });
        throw err;
      }
      job.dto.state = 'saved';
      job.dto.savedAs = id;
      job.calibration = null;
      this.publish(job);
      if (req.deploy) saved = await this.deps.deploy(id, req.actor, req.reason);
      return saved;
    } finally {
      this.saving = false;
    }
  }

  /**
   * Stops a fitting job at its next training step: the method's loop writes its checkpoint
   * (atomically) as it stops, and the job's record goes beside it, so the job survives a restart.
   */
  async pause(jobId: string, by: string, reason: string): Promise<TrainingJobDto> {
    const job = this.requireJob(jobId);
    const refusal = pauseRefusal(findMethod(job.dto.method), job.dto.state);
    if (refusal) throw new PauseRefused(refusal);
    job.pausing = { by, reason };
    // Long enough for a slow step plus the checkpoint write; a worker terminated after it still
    // leaves the last periodic checkpoint, which the resume continues from.
    job.run?.cancel(PAUSE_GRACE_MS);
    await job.done;
    return this.snapshot(job);
  }

  /** Continues a paused job (this process or a restarted one): the fit resumes from its checkpoint. */
  async resume(jobId: string): Promise<TrainingJobDto> {
    const job = this.requireJob(jobId);
    if (job.dto.state !== 'paused')
      throw new PauseRefused(`The job is ${job.dto.state}; only a paused job can be resumed.`);
    if (this.saving) throw new PauseRefused('A model is being saved; try again in a moment.');
    const method = findMethod(job.dto.method);
    if (!method) throw new PauseRefused(`This station has no method "${job.dto.method}" to resume with.`);
    await removePausedRecord(job.staging);
    job.pausing = null;
    job.cancelled = false;
    job.dto.state = 'preparing';
    job.dto.progress = progressOf('preparing', 0, 1, null, null);
    job.dto.paused = null;
    job.dto.finishedAt = null;
    job.t0 = performance.now();
    job.firstFeatureAt = null;
    job.done = this.execute(job, method.id, job.dto.preset);
    this.publish(job);
    return this.snapshot(job);
  }

  private async enterPause(job: Job, by: { by: string; reason: string }): Promise<void> {
    const p = job.dto.progress;
    job.pausing = null;
    job.dto.state = 'paused';
    job.dto.paused = {
      at: new Date().toISOString(),
      by: by.by,
      reason: by.reason,
      step: p.stage === 'train' ? p.done : null,
      totalSteps: p.stage === 'train' ? p.total : null,
    };
    job.dto.progress = { ...p, etaMs: null };
    job.dto.finishedAt = job.dto.paused.at;
    try {
      writePausedRecord(job.staging, {
        version: 1,
        dto: this.snapshot(job),
        fit: job.fit,
        heldOut: job.heldOut,
        defects: job.defects,
        masks: [...job.masks],
        productId: job.productId,
      });
    } catch (err) {
      await fsp.rm(job.staging, { recursive: true, force: true }).catch(() => undefined);
      job.dto.state = 'failed';
      job.dto.paused = null;
      job.dto.error = `Could not record the paused job: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.publish(job);
  }

  private refuseWhilePaused(): void {
    const job = this.job;
    if (job?.dto.state === 'paused')
      throw new PauseRefused(`Training job ${job.dto.id} is paused: resume or discard it before starting another.`);
  }

  /** Stops a running job (station shutdown). */
  async close(): Promise<void> {
    const job = this.job;
    if (job && ['preparing', 'fitting', 'calibrating'].includes(job.dto.state)) await this.cancel(job.dto.id);
    else if (job?.dto.state === 'ready') await fsp.rm(job.staging, { recursive: true, force: true });
  }

  private requireJob(jobId: string): Job {
    if (!this.job || this.job.dto.id !== jobId)
      throw new DomainError('not_found', `No training job ${jobId}.`);
    return this.job;
  }

  private snapshot(job: Job): TrainingJobDto {
    const end = job.dto.finishedAt ? Date.parse(job.dto.finishedAt) : Date.now();
    return { ...job.dto, elapsedMs: end - Date.parse(job.dto.startedAt), progress: { ...job.dto.progress } };
  }

  private lastEmit = 0;
  /** Progress ticks are throttled to 4 per second; state changes always go out. */
  private publish(job: Job, tick = false): void {
    const now = Date.now();
    if (tick && now - this.lastEmit < 250) return;
    this.lastEmit = now;
    this.deps.emit(this.snapshot(job));
  }
}

function progressOf(
  stage: string,
  done: number,
  total: number,
  stageEtaMs: number | null,
  jobEtaMs: number | null,
): TrainingProgress {
  const [a, b] = STAGE_SPAN[stage] ?? [0, 1];
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const fraction = a + (b - a) * f;
  // The worker's ETA covers its stage only; the rest of the job is added from the stage shares.
  let eta = jobEtaMs;
  if (stageEtaMs !== null && fraction > 0.02) {
    const perUnit = stageEtaMs / Math.max(1e-6, (b - a) * (1 - f));
    eta = stage === 'scoring' ? stageEtaMs : stageEtaMs + perUnit * (1 - b);
  }
  return {
    stage,
    stageLabel: STAGE_LABEL[stage] ?? stage,
    done,
    total,
    fraction,
    etaMs: eta === null || !Number.isFinite(eta) ? null : Math.max(0, Math.round(eta)),
  };
}

/** Seeded by the set itself, so the same folder always holds out the same images. */
export function splitHeldOut(
  images: ScannedImage[],
  count: number,
): { fit: ScannedImage[]; heldOut: ScannedImage[] } {
  if (count <= 0) return { fit: images, heldOut: [] };
  // Drawn over the images in content order, so renaming or reordering files changes nothing.
  const byContent = [...images].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  const seed = parseInt(
    byContent
      .map((i) => i.sha256.slice(0, 2))
      .join('')
      .slice(0, 8) || '0',
    16,
  );
  const picked = new Set(
    createRng(seed)
      .choose(byContent.length, count)
      .map((i) => byContent[i]),
  );
  return {
    fit: images.filter((i) => !picked.has(i)),
    heldOut: images.filter((i) => picked.has(i)),
  };
}

function reportOf(
  jobId: string,
  cal: CalibrationData,
  opts: { targetFalseRejectRate: number; reviewBudget: number; t1?: number; t2?: number },
): CalibrationReport {
  const suggested = suggestThresholds(
    cal.good.map((s) => s.score),
    opts.targetFalseRejectRate,
    opts.reviewBudget,
  );
  const t1 = opts.t1 ?? suggested.t1;
  const t2 = opts.t2 ?? suggested.t2;
  const cv = crossValidateGoodRates(
    cal.goodRaw,
    opts.t1 === undefined && opts.t2 === undefined
      ? {
          kind: 'suggested',
          targetFalseRejectRate: opts.targetFalseRejectRate,
          reviewBudget: opts.reviewBudget,
        }
      : { kind: 'fixed', t1: Math.min(t1, t2), t2: Math.max(t1, t2) },
  );
  return {
    jobId,
    goodScores: cal.good.map((s) => s.score),
    syntheticScores: cal.synthetic.map((s) => s.score),
    defectScores: cal.defect.map((s) => s.score),
    histogram: cal.histogram(t2),
    targetFalseRejectRate: opts.targetFalseRejectRate,
    suggested,
    rates: ratesAt(cal, Math.min(t1, t2), Math.max(t1, t2)),
    outOfSample: cv.estimate,
    outOfSampleNote: cv.note,
    aurocSynthetic: cal.aurocSynthetic,
    aurocDefect: cal.aurocDefect,
    examples: cal.examples(Math.min(t1, t2), Math.max(t1, t2)),
    fitMs: Math.round(cal.fitMs ?? 0),
    calibrationMs: Math.round(cal.ms),
  };
}
