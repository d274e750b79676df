// The training loop shared by methods: epochs × steps over a deterministic batch function, LR
// schedule, progress with ETA, cooperative cancel, periodic checkpoints and resume. Batches are a
// pure function of (epoch, step) (seeded shuffles), so a resumed run replays exactly the steps an
// uninterrupted run would have taken.
import { existsSync } from 'node:fs';
import type { LossCurve, TrainingDevice } from '@shared/training';
import { LossCurveRecorder } from './curve';
import type { LrSchedule } from './schedule';
import type { StepResult, Trainer } from './trainer';

export class CancelledError extends Error {
  constructor() {
    super('training cancelled');
    this.name = 'CancelledError';
  }
}

export interface TrainProgress {
  stage: 'train';
  epoch: number;
  epochs: number;
  /** Global step (completed). */
  step: number;
  totalSteps: number;
  loss: number;
  /** Mean loss over the current epoch so far. */
  epochLoss: number;
  lr: number;
  etaMs: number | null;
  /** Train (per step, thinned) and validation (per evaluation) losses so far, resumes included. */
  curve: LossCurve;
  /** Provider running the step and why the ones before it were skipped. */
  device: TrainingDevice;
}

export interface ValidationOptions {
  /** Loss on held-out data with the current weights (lower is better). */
  run: () => Promise<number>;
  /** Evaluate after every this many epochs (default 1) and after the last. */
  everyEpochs?: number;
  /** Where the best weights so far are written (a checkpoint; Trainer.loadCheckpoint reads it). */
  bestPath?: string;
}

export interface TrainLoopOptions {
  trainer: Trainer;
  epochs: number;
  stepsPerEpoch: number;
  batch: (
    epoch: number,
    step: number,
  ) => Record<string, Float32Array> | Promise<Record<string, Float32Array>>;
  lr: LrSchedule;
  onProgress?: (p: TrainProgress) => void;
  shouldCancel?: () => boolean;
  /** Checkpoint file; resumed from when it exists and its `key` matches. */
  checkpoint?: { path: string; key: string; everySteps?: number };
  /** Called after every step with its result (loss and the graph's metrics). */
  onStep?: (epoch: number, result: StepResult) => void;
  /** Minimum ms between progress reports (default 250); the last step of each epoch always reports. */
  progressIntervalMs?: number;
  /** Validation during training with best-checkpoint selection. */
  validate?: ValidationOptions;
}

export interface TrainLoopResult {
  /**
   * Mean loss of each epoch, those before a resume point included (they travel in the checkpoint,
   * with the running sum of an epoch paused in the middle), so a resumed run reports what an
   * uninterrupted one would.
   */
  epochLosses: number[];
  resumedFromStep: number | null;
  steps: number;
  ms: number;
  curve: LossCurve;
  device: TrainingDevice;
  /** Step and validation loss of the best evaluation (null without validation). */
  best: { step: number; loss: number } | null;
}

export async function runTrainingLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const { trainer } = o;
  const total = o.epochs * o.stepsPerEpoch;
  let resumedFromStep: number | null = null;
  const curve = new LossCurveRecorder();
  const epochLosses: number[] = [];
  // The current epoch's loss sum and step count (restored when a pause fell mid-epoch).
  let sum = 0;
  let count = 0;
  if (o.checkpoint && existsSync(o.checkpoint.path)) {
    const meta = trainer.loadCheckpoint(o.checkpoint.path);
    if (meta.key !== o.checkpoint.key) {
      throw new Error(
        `checkpoint ${o.checkpoint.path} belongs to a different run (key ${String(meta.key)}); delete it to start over`,
      );
    }
    resumedFromStep = trainer.step;
    curve.restore(meta.curve);
    const saved = meta.epochLosses;
    if (Array.isArray(saved) && saved.every((v) => typeof v === 'number')) epochLosses.push(...saved);
    if (typeof meta.epochSum === 'number' && typeof meta.epochCount === 'number') {
      sum = meta.epochSum;
      count = meta.epochCount;
    }
  }
  const device: TrainingDevice = { provider: trainer.provider, skipped: trainer.skippedProviders };
  // The curve travels in the checkpoint, so a run resumed after a restart keeps its history.
  const save = () =>
    o.checkpoint &&
    trainer.saveCheckpoint(o.checkpoint.path, {
      key: o.checkpoint.key,
      curve: curve.snapshot(),
      epochLosses,
      epochSum: sum,
      epochCount: count,
    });
  const validate = async (epoch: number) => {
    const v = o.validate;
    if (!v) return;
    const every = Math.max(1, v.everyEpochs ?? 1);
    if ((epoch + 1) % every !== 0 && epoch !== o.epochs - 1) return;
    const loss = await v.run();
    if (!Number.isFinite(loss)) throw new Error(`validation loss became ${loss} at step ${trainer.step}`);
    if (curve.addValidation(trainer.step, loss) && v.bestPath)
      trainer.saveCheckpoint(v.bestPath, { key: o.checkpoint?.key, best: { step: trainer.step, loss } });
  };
  const t0 = performance.now();
  const startStep = trainer.step;
  let lastReport = 0;
  const interval = o.progressIntervalMs ?? 250;
  const report = (epoch: number, lr: number, loss: number, epochLoss: number, etaMs: number | null) =>
    o.onProgress?.({
      stage: 'train',
      epoch,
      epochs: o.epochs,
      step: trainer.step,
      totalSteps: total,
      loss,
      epochLoss,
      lr,
      etaMs,
      curve: curve.snapshot(),
      device,
    });
  while (trainer.step < total) {
    const epoch = Math.floor(trainer.step / o.stepsPerEpoch);
    const lr = o.lr(epoch);
    if (trainer.step % o.stepsPerEpoch === 0) {
      sum = 0;
      count = 0;
    }
    // Prefetch: the next batch is prepared (decoded, augmented) while the current step runs.
    let next: Promise<Record<string, Float32Array>> | null = null;
    const fetch = (s: number) => Promise.resolve(o.batch(epoch, s));
    for (let s = trainer.step % o.stepsPerEpoch; s < o.stepsPerEpoch; s++) {
      if (o.shouldCancel?.()) {
        await next?.catch(() => undefined);
        save();
        // The step the checkpoint holds, reported exactly (throttled reports may lag behind it).
        const lastLoss = curve.snapshot().train.at(-1)?.loss;
        if (lastLoss !== undefined && trainer.step > startStep)
          report(epoch, lr, lastLoss, count > 0 ? sum / count : lastLoss, null);
        throw new CancelledError();
      }
      const current = next ?? fetch(s);
      const batch = await current;
      next = s + 1 < o.stepsPerEpoch ? fetch(s + 1) : null;
      // A failed prefetch surfaces when that step awaits it; never as an unhandled rejection.
      next?.catch(() => undefined);
      const r = await trainer.trainStep(batch, lr);
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${trainer.step}`);
      curve.addTrain(trainer.step, r.loss);
      o.onStep?.(epoch, r);
      sum += r.loss;
      count++;
      const every = o.checkpoint?.everySteps;
      if (every && trainer.step % every === 0) save();
      const now = performance.now();
      const last = s === o.stepsPerEpoch - 1;
      if (o.onProgress && (last || now - lastReport >= interval)) {
        lastReport = now;
        const done = trainer.step - startStep;
        report(
          epoch,
          lr,
          r.loss,
          sum / count,
          done > 0 ? Math.round(((now - t0) / done) * (total - trainer.step)) : null,
        );
      }
    }
    epochLosses.push(sum / Math.max(1, count));
    await validate(epoch);
    save();
  }
  const snap = curve.snapshot();
  const best = snap.best;
  return {
    epochLosses,
    resumedFromStep,
    steps: trainer.step - startStep,
    ms: performance.now() - t0,
    curve: snap,
    device,
    best,
  };
}
