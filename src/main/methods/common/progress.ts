// Progress of one fit stage with a linear ETA: every method reports {stage, done, total, etaMs}.
import type { TrainProgress } from '../../engine/loop';
import type { MethodProgress } from '../types';

export interface StageProgress<S extends string = string> {
  stage: S;
  done: number;
  total: number;
  etaMs: number | null;
}

export class StageClock<S extends string> {
  private readonly t0 = performance.now();
  constructor(
    private readonly stage: S,
    private readonly total: number,
    private readonly emit?: (p: StageProgress<S>) => void,
  ) {}

  report(done: number): void {
    if (!this.emit) return;
    const el = performance.now() - this.t0;
    const etaMs = done > 0 ? Math.round((el / done) * (this.total - done)) : null;
    this.emit({ stage: this.stage, done, total: this.total, etaMs });
  }
}

/** The engine loop's progress as a method's 'train' stage: steps, ETA, loss, curve and provider. */
export function trainStage(p: TrainProgress): MethodProgress & { stage: 'train' } {
  return {
    stage: 'train',
    done: p.step,
    total: p.totalSteps,
    etaMs: p.etaMs,
    epoch: p.epoch,
    epochs: p.epochs,
    loss: p.epochLoss,
    curve: p.curve,
    device: p.device,
  };
}
