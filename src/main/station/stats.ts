// Live cycle figures for the operator: frames/s over a sliding window, latency mean/p95 over the
// most recent frames and the worst since start, yield counters, and where the time goes.
import type { Verdict } from '../storage/inspections';

import type { LatencySummary, Stage, StageSummary } from '@shared/station';

export type { LatencySummary, Stage, StageSummary };
export const STAGES: readonly Stage[] = ['decode', 'inference', 'post', 'logging'];

/** Fixed-size ring of numbers: memory does not grow over a shift. */
export class NumberRing {
  private readonly buf: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }

  push(v: number): void {
    this.buf[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled += 1;
  }

  get length(): number {
    return this.filled;
  }

  values(): Float64Array {
    if (this.filled < this.capacity) return this.buf.slice(0, this.filled);
    const out = new Float64Array(this.capacity);
    out.set(this.buf.subarray(this.next), 0);
    out.set(this.buf.subarray(0, this.next), this.capacity - this.next);
    return out;
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export class LiveStats {
  startedAt: number | null = null;
  received = 0;
  inspected = 0;
  corrupt = 0;
  inferenceErrors = 0;
  storeErrors = 0;
  lastStoreError: string | null = null;
  rowsLogged = 0;
  readonly yieldCount: Record<Verdict, number> = { PASS: 0, REVIEW: 0, FAIL: 0 };
  private readonly latencies: NumberRing;
  private readonly done: NumberRing;
  private worst: number | null = null;
  private last: number | null = null;
  private readonly stageTotal: Record<Stage, number> = { decode: 0, inference: 0, post: 0, logging: 0 };
  private readonly stageCount: Record<Stage, number> = { decode: 0, inference: 0, post: 0, logging: 0 };

  constructor(
    private readonly fpsWindowMs = 5000,
    latencyWindow = 500,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.latencies = new NumberRing(latencyWindow);
    // Enough completion timestamps for the window at up to ~800 fps.
    this.done = new NumberRing(4096);
  }

  reset(): void {
    this.startedAt = this.now();
    this.received =
      this.inspected =
      this.corrupt =
      this.inferenceErrors =
      this.storeErrors =
      this.rowsLogged =
        0;
    this.lastStoreError = null;
    this.yieldCount.PASS = this.yieldCount.REVIEW = this.yieldCount.FAIL = 0;
    this.latencies.clear();
    this.done.clear();
    this.worst = this.last = null;
    for (const s of STAGES) this.stageTotal[s] = this.stageCount[s] = 0;
  }

  result(verdict: Verdict, latencyMs: number): void {
    this.inspected += 1;
    this.yieldCount[verdict] += 1;
    this.latencies.push(latencyMs);
    this.done.push(this.now());
    this.last = latencyMs;
    if (this.worst === null || latencyMs > this.worst) this.worst = latencyMs;
  }

  stage(stage: Stage, ms: number, frames = 1): void {
    this.stageTotal[stage] += ms;
    this.stageCount[stage] += frames;
  }

  fps(): number {
    if (this.startedAt === null) return 0;
    const now = this.now();
    const from = now - this.fpsWindowMs;
    const ts = this.done.values();
    let n = 0;
    for (let i = ts.length - 1; i >= 0 && ts[i] > from; i--) n++;
    // Until a full window has passed, divide by the time actually elapsed.
    const span = Math.min(this.fpsWindowMs, now - this.startedAt);
    return span > 0 ? (n * 1000) / span : 0;
  }

  latency(): LatencySummary {
    const v = this.latencies.values();
    if (v.length === 0) return { mean: null, p50: null, p95: null, worst: null, last: null, window: 0 };
    let sum = 0;
    for (const x of v) sum += x;
    return {
      mean: sum / v.length,
      p50: percentile(v, 50),
      p95: percentile(v, 95),
      worst: this.worst,
      last: this.last,
      window: v.length,
    };
  }

  stages(): StageSummary {
    const meanMs = {} as Record<Stage, number>;
    const share = {} as Record<Stage, number>;
    let total = 0;
    for (const s of STAGES) {
      meanMs[s] = this.stageCount[s] > 0 ? this.stageTotal[s] / this.stageCount[s] : 0;
      total += meanMs[s];
    }
    for (const s of STAGES) share[s] = total > 0 ? meanMs[s] / total : 0;
    return { meanMs, share };
  }
}
