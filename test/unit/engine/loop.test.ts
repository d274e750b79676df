// The training loop's validation with best-checkpoint selection, loss curves that survive a
// pause/resume through the checkpoint, batch prefetch, and the provider record.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LossCurveRecorder } from '../../../src/main/engine/curve';
import { linear } from '../../../src/main/engine/layers';
import { CancelledError, runTrainingLoop } from '../../../src/main/engine/loop';
import { mseLoss } from '../../../src/main/engine/losses';
import { buildTrainingStep } from '../../../src/main/engine/train-step';
import { Trainer } from '../../../src/main/engine/trainer';

const N = 16;
// y = x·w* with w* = [1, -2, 0.5]; validation on other x.
const data = (k: number) => {
  const x = Float32Array.from({ length: N * 3 }, (_, i) => Math.sin(i * 0.7 + k * 1.3));
  const y = new Float32Array(N);
  for (let r = 0; r < N; r++) y[r] = x[r * 3] - 2 * x[r * 3 + 1] + 0.5 * x[r * 3 + 2];
  return { x, y };
};
const graph = () =>
  buildTrainingStep({
    optimizer: { kind: 'sgd', momentum: 0.9 },
    define: (mb) => {
      const g = mb.g;
      const p = linear(mb, g.input('x', 'float32', [N, 3]), { name: 'fc', inFeatures: 3, outFeatures: 1 });
      return { loss: mseLoss(g, p, g.input('y', 'float32', [N, 1])) };
    },
  });

/** Validation loss with the trainer's current weights, computed in JS (w·x + b vs y). */
function valLoss(tr: Trainer): number {
  const w = tr.params.get('fc.weight')!;
  const b = tr.params.get('fc.bias')![0];
  const { x, y } = data(99);
  let s = 0;
  for (let r = 0; r < N; r++)
    s += (x[r * 3] * w[0] + x[r * 3 + 1] * w[1] + x[r * 3 + 2] * w[2] + b - y[r]) ** 2;
  return s / N;
}

describe('training loop: validation, best checkpoint, curves, prefetch', () => {
  it('validates each epoch, keeps the best weights on disk, and records train + validation curves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-val-'));
    const tr = await Trainer.create(graph(), { seed: 2, intraOpNumThreads: 1 });
    // A learning rate that diverges after epoch 3 makes the last weights worse than the best.
    const res = await runTrainingLoop({
      trainer: tr,
      epochs: 6,
      stepsPerEpoch: 4,
      batch: (e, s) => data(e * 4 + s),
      lr: (e) => (e < 3 ? 0.05 : 0.6),
      validate: { run: async () => valLoss(tr), bestPath: join(dir, 'best.bin') },
    });
    expect(res.curve.train).toHaveLength(24);
    expect(res.curve.validation.map((p) => p.step)).toEqual([4, 8, 12, 16, 20, 24]);
    const losses = res.curve.validation.map((p) => p.loss);
    const min = Math.min(...losses);
    expect(res.best!.loss).toBe(min);
    expect(losses.at(-1)!).toBeGreaterThan(min); // the last epoch is not the best
    const best = await Trainer.create(graph(), { seed: 7, intraOpNumThreads: 1 });
    best.loadCheckpoint(join(dir, 'best.bin'));
    expect(valLoss(best)).toBeCloseTo(min, 5);
    expect(res.device.provider).toBe(tr.provider);
    await tr.release();
    await best.release();
  });

  it('a paused run (cancel → checkpoint) resumed in a fresh trainer keeps its whole loss curve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-pause-'));
    const run = async (pauseAt: number | null) => {
      const tr = await Trainer.create(graph(), { seed: 3, intraOpNumThreads: 1 });
      try {
        return await runTrainingLoop({
          trainer: tr,
          epochs: 3,
          stepsPerEpoch: 5,
          batch: (e, s) => data(e * 5 + s),
          lr: () => 0.05,
          checkpoint: { path: join(dir, 'ck.bin'), key: 'k' },
          shouldCancel: () => pauseAt !== null && tr.step >= pauseAt,
          validate: { run: async () => valLoss(tr) },
        });
      } finally {
        await tr.release();
      }
    };
    await expect(run(7)).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(join(dir, 'ck.bin'))).toBe(true);
    const resumed = await run(null);
    expect(resumed.resumedFromStep).toBe(7);
    expect(resumed.curve.train.map((p) => p.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(resumed.curve.validation.map((p) => p.step)).toEqual([5, 10, 15]);
  });

  it('pause → resume in a fresh trainer ends with the weights and optimiser state of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-same-'));
    const run = async (path: string, pauseAt: number | null) => {
      const tr = await Trainer.create(graph(), { seed: 5, intraOpNumThreads: 1 });
      const reports: number[] = [];
      try {
        const res = await runTrainingLoop({
          trainer: tr,
          epochs: 4,
          stepsPerEpoch: 5,
          batch: (e, s) => data(e * 5 + s),
          // A schedule that changes with the epoch: a resume must pick up the right learning rate.
          lr: (e) => (e < 2 ? 0.05 : 0.01),
          checkpoint: { path, key: 'same' },
          progressIntervalMs: 0,
          onProgress: (p) => reports.push(p.step),
          shouldCancel: () => pauseAt !== null && tr.step >= pauseAt,
        });
        return { res, reports, weights: tr.weights(), state: new Map(tr.state), step: tr.step };
      } finally {
        await tr.release();
      }
    };
    const straight = await run(join(dir, 'straight.ckpt'), null);
    await expect(run(join(dir, 'paused.ckpt'), 8)).rejects.toBeInstanceOf(CancelledError);
    const resumed = await run(join(dir, 'paused.ckpt'), null);
    // Counted from the checkpoint: a restart from scratch would report step 1 first and run 20 steps.
    expect(resumed.res.resumedFromStep).toBe(8);
    expect(resumed.res.steps).toBe(12);
    expect(resumed.reports).toEqual(Array.from({ length: 12 }, (_, i) => i + 9));
    expect(resumed.step).toBe(20);
    // Every epoch's mean loss, the one paused in the middle (steps 6–8 before, 9–10 after) included.
    expect(resumed.res.epochLosses).toHaveLength(4);
    straight.res.epochLosses.forEach((l, i) => expect(resumed.res.epochLosses[i]).toBeCloseTo(l, 6));
    expect(resumed.res.curve.train.map((p) => p.step)).toEqual(straight.res.curve.train.map((p) => p.step));
    straight.res.curve.train.forEach((p, i) => expect(resumed.res.curve.train[i].loss).toBeCloseTo(p.loss, 6));
    for (const [name, v] of straight.weights) {
      const r = resumed.weights.get(name)!;
      v.forEach((x, i) => expect(r[i]).toBeCloseTo(x, 6));
    }
    for (const [name, v] of straight.state) {
      const r = resumed.state.get(name)!;
      v.forEach((x, i) => expect(r[i]).toBeCloseTo(x, 6));
    }
  });

  it('prefetches: the batch for step s+1 is requested before step s finishes', async () => {
    const tr = await Trainer.create(graph(), { seed: 1, intraOpNumThreads: 1 });
    const events: string[] = [];
    const orig = tr.trainStep.bind(tr);
    tr.trainStep = async (b, lr) => {
      events.push(`step ${tr.step}`);
      const r = await orig(b, lr);
      return r;
    };
    await runTrainingLoop({
      trainer: tr,
      epochs: 1,
      stepsPerEpoch: 3,
      batch: async (_e, s) => {
        events.push(`batch ${s}`);
        return data(s);
      },
      lr: () => 0.01,
    });
    expect(events).toEqual(['batch 0', 'batch 1', 'step 0', 'batch 2', 'step 1', 'step 2']);
    await tr.release();
  });
});

describe('loss curve recorder', () => {
  it('thins long runs to ≤ 512 points whose losses are means of the merged steps', () => {
    const c = new LossCurveRecorder();
    for (let s = 1; s <= 5000; s++) c.addTrain(s, s);
    const { train } = c.snapshot();
    expect(train.length).toBeLessThanOrEqual(512);
    expect(train.at(-1)!.step).toBe(5000);
    const total = train.reduce((a, p) => a + p.loss, 0);
    expect(total).toBeGreaterThan(0);
    // Each point's loss is the mean of consecutive steps ending at its step.
    expect(train[0].loss).toBeLessThan(train[0].step);
  });
});

describe('provider choice', () => {
  it('the trainer takes inference’s provider order by default and says why earlier ones were skipped', async () => {
    const { DEFAULT_PROVIDER_ORDER } = await import('../../../src/main/runtime');
    const tr = await Trainer.create(graph(), { seed: 1, intraOpNumThreads: 1 });
    const at = DEFAULT_PROVIDER_ORDER.indexOf(tr.provider);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(tr.skippedProviders.map((s) => s.name)).toEqual(DEFAULT_PROVIDER_ORDER.slice(0, at));
    for (const s of tr.skippedProviders) expect(s.reason.length).toBeGreaterThan(5);
    const r = await tr.trainStep(data(0), 0.01);
    expect(Number.isFinite(r.loss)).toBe(true);
    await tr.release();
  });
});
