// The training loop shared by methods: epochs × steps over a deterministic batch function, LR
// schedule, progress with ETA, cooperative cancel, periodic checkpoints and resume. Batches are a
// pure function of (epoch, step) (seeded shuffles), so a resumed run replays exactly the steps an
// uninterrupted run would have taken.
import { existsSync } from 'node:fs';
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
}

export interface TrainLoopResult {
  /** Mean loss of each epoch run in this call (epochs before a resume point are not included). */
  epochLosses: number[];
  resumedFromStep: number | null;
  steps: number;
  ms: number;
}

export async function runTrainingLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const { trainer } = o;
  const total = o.epochs * o.stepsPerEpoch;
  let resumedFromStep: number | null = null;
  if (o.checkpoint && existsSync(o.checkpoint.path)) {
    const meta = trainer.loadCheckpoint(o.checkpoint.path);
    if (meta.key !== o.checkpoint.key) {
      throw new Error(
        `checkpoint ${o.checkpoint.path} belongs to a different run (key ${String(meta.key)}); delete it to start over`,
      );
    }
    resumedFromStep = trainer.step;
  }
  const save = () => o.checkpoint && trainer.saveCheckpoint(o.checkpoint.path, { key: o.checkpoint.key });
  const t0 = performance.now();
  const startStep = trainer.step;
  let lastReport = 0;
  const epochLosses: number[] = [];
  const interval = o.progressIntervalMs ?? 250;
  while (trainer.step < total) {
    const epoch = Math.floor(trainer.step / o.stepsPerEpoch);
    const lr = o.lr(epoch);
    let sum = 0;
    let count = 0;
    for (let s = trainer.step % o.stepsPerEpoch; s < o.stepsPerEpoch; s++) {
      if (o.shouldCancel?.()) {
        save();
        throw new CancelledError();
      }
      const r = await trainer.trainStep(await o.batch(epoch, s), lr);
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${trainer.step}`);
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
        o.onProgress({
          stage: 'train',
          epoch,
          epochs: o.epochs,
          step: trainer.step,
          totalSteps: total,
          loss: r.loss,
          epochLoss: sum / count,
          lr,
          etaMs: done > 0 ? Math.round(((now - t0) / done) * (total - trainer.step)) : null,
        });
      }
    }
    epochLosses.push(sum / Math.max(1, count));
    save();
  }
  return { epochLosses, resumedFromStep, steps: trainer.step - startStep, ms: performance.now() - t0 };
}
