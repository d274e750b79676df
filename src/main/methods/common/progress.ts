// Progress of one fit stage with a linear ETA: every method reports {stage, done, total, etaMs}.
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
