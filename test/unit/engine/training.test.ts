// Training steps end to end: optimizer updates against JS references, a small conv net learning a
// synthetic task, determinism, checkpoint/resume, progress and cancel.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchNorm, conv2d, linear } from '../../../src/main/engine/layers';
import { bceWithLogitsLoss, mseLoss } from '../../../src/main/engine/losses';
import { CancelledError, runTrainingLoop, type TrainProgress } from '../../../src/main/engine/loop';
import type { OptimizerSpec } from '../../../src/main/engine/optimizers';
import { createRng } from '../../../src/main/util/rng';
import { multiStepLr, stepLr } from '../../../src/main/engine/schedule';
import { buildTrainingStep } from '../../../src/main/engine/train-step';
import { Trainer } from '../../../src/main/engine/trainer';

// ---------- optimizer updates vs. PyTorch's formulas in float64 ----------

const X = Float32Array.from([0.5, -1, 2, 0.1, 1.5, 0.3, -0.7, 1, -0.2, 0.8, 0.4, -1.1]); // [3,4]
const T = Float32Array.from([1, -0.5, 2]); // [3,1]

function linearStep(opt: OptimizerSpec) {
  return buildTrainingStep({
    optimizer: opt,
    define: (mb) => {
      const g = mb.g;
      const x = g.input('x', 'float32', [3, 4]);
      const t = g.input('t', 'float32', [3, 1]);
      const w = mb.param('w', [4, 1], { kind: 'values', values: Float32Array.from([0.1, -0.2, 0.3, 0.05]) });
      const b = mb.param('b', [1], { kind: 'constant', value: 0.2 });
      return { loss: mseLoss(g, g.add(g.matmul(x, w), b), t) };
    },
  });
}

function refGrad(w: number[], b: number): { gw: number[]; gb: number } {
  const gw = [0, 0, 0, 0];
  let gb = 0;
  for (let i = 0; i < 3; i++) {
    let p = b;
    for (let j = 0; j < 4; j++) p += X[i * 4 + j] * w[j];
    const d = (2 / 3) * (p - T[i]);
    gb += d;
    for (let j = 0; j < 4; j++) gw[j] += d * X[i * 4 + j];
  }
  return { gw, gb };
}

describe('optimizers', () => {
  it('Adam with L2 weight decay matches torch.optim.Adam over 5 steps', async () => {
    const [lr, b1, b2, eps, wd] = [0.05, 0.9, 0.999, 1e-8, 0.01];
    const tr = await Trainer.create(
      linearStep({ kind: 'adam', beta1: b1, beta2: b2, eps, weightDecay: wd }),
      {
        intraOpNumThreads: 1,
      },
    );
    let w = [0.1, -0.2, 0.3, 0.05];
    let b = 0.2;
    const m = [0, 0, 0, 0, 0];
    const v = [0, 0, 0, 0, 0];
    for (let t = 1; t <= 5; t++) {
      await tr.trainStep({ x: X, t: T }, lr);
      const { gw, gb } = refGrad(w, b);
      const p = [...w, b];
      const gr = [...gw, gb].map((gi, i) => gi + wd * p[i]);
      const next = p.map((pi, i) => {
        m[i] = b1 * m[i] + (1 - b1) * gr[i];
        v[i] = b2 * v[i] + (1 - b2) * gr[i] ** 2;
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        return pi - (lr * mh) / (Math.sqrt(vh) + eps);
      });
      w = next.slice(0, 4);
      b = next[4];
    }
    const got = [...tr.params.get('w')!, ...tr.params.get('b')!];
    [...w, b].forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
    expect(tr.step).toBe(5);
    await tr.release();
  });

  it('SGD with momentum 0.9 and weight decay matches torch.optim.SGD over 5 steps', async () => {
    const [lr, mu, wd] = [0.1, 0.9, 0.001];
    const tr = await Trainer.create(linearStep({ kind: 'sgd', momentum: mu, weightDecay: wd }), {
      intraOpNumThreads: 1,
    });
    let p = [0.1, -0.2, 0.3, 0.05, 0.2];
    const buf = [0, 0, 0, 0, 0];
    for (let t = 1; t <= 5; t++) {
      await tr.trainStep({ x: X, t: T }, lr);
      const { gw, gb } = refGrad(p.slice(0, 4), p[4]);
      p = p.map((pi, i) => {
        const gi = [...gw, gb][i] + wd * pi;
        buf[i] = t === 1 ? gi : mu * buf[i] + gi; // torch initialises the buffer with the first gradient
        return pi - lr * buf[i];
      });
    }
    const got = [...tr.params.get('w')!, ...tr.params.get('b')!];
    p.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
    await tr.release();
  });

  it('LR schedules: step and multi-step', () => {
    expect([0, 9, 10, 25].map(stepLr(1, 10, 0.5))).toEqual([1, 1, 0.5, 0.25]);
    const ms = multiStepLr(1e-4, [560, 630], 0.2);
    expect(ms(559)).toBeCloseTo(1e-4, 12);
    expect(ms(560)).toBeCloseTo(2e-5, 12);
    expect(ms(699)).toBeCloseTo(4e-6, 12);
  });
});

// ---------- a small conv net on a synthetic task ----------

const B = 16;
const S = 8;

/** Batch `k` of stripes: horizontal (label 0) or vertical (label 1), random phase, noise. */
function stripes(seed: number, k: number): { x: Float32Array; y: Float32Array } {
  const rng = createRng(seed * 7919 + k);
  const x = new Float32Array(B * S * S);
  const y = new Float32Array(B);
  for (let n = 0; n < B; n++) {
    const vertical = rng.next() < 0.5;
    y[n] = vertical ? 1 : 0;
    const phase = rng.int(2);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        const on = ((vertical ? j : i) + phase) % 2 === 0;
        x[n * S * S + i * S + j] = (on ? 1 : -1) + 0.3 * rng.normal();
      }
  }
  return { x, y };
}

function stripeNet(opt: OptimizerSpec = { kind: 'adam' }) {
  return buildTrainingStep({
    optimizer: opt,
    define: (mb) => {
      const g = mb.g;
      const x = g.input('x', 'float32', [B, 1, S, S]);
      const y = g.input('y', 'float32', [B, 1]);
      let h = conv2d(mb, x, { name: 'c1', inChannels: 1, outChannels: 4, kernel: 3, pad: 1 });
      h = g.relu(batchNorm(mb, h, { name: 'bn1', channels: 4 }));
      h = g.relu(conv2d(mb, h, { name: 'c2', inChannels: 4, outChannels: 4, kernel: 3, stride: 2, pad: 1 }));
      h = g.op('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
      h = g.reshape(g.op('GlobalAveragePool', [h]), [B, 4]);
      const logit = linear(mb, h, { name: 'fc', inFeatures: 4, outFeatures: 1 });
      const acc = g.reduce(
        'ReduceMean',
        g.op(
          'Cast',
          [g.op('Equal', [g.op('Cast', [g.op('Greater', [logit, g.constant(0)])], { to: 1 }), y])],
          { to: 1 },
        ),
        [0, 1],
        false,
      );
      return { loss: bceWithLogitsLoss(g, logit, y), metrics: { accuracy: acc } };
    },
  });
}

async function trainStripes(
  steps: number,
  seed: number,
): Promise<{ losses: number[]; acc: number; w: Float32Array }> {
  const tr = await Trainer.create(stripeNet(), { seed, intraOpNumThreads: 1 });
  const losses: number[] = [];
  let acc = 0;
  for (let k = 0; k < steps; k++) {
    const { x, y } = stripes(seed, k);
    const r = await tr.trainStep({ x, y }, 0.03);
    losses.push(r.loss);
    acc = r.metrics.accuracy;
  }
  const w = tr.params.get('c1.weight')!;
  await tr.release();
  return { losses, acc, w };
}

describe('learning', () => {
  // A 4-channel net from a random start does not learn equally fast from every seed: over seeds
  // 0–11 about a third (with this PRNG and with the engine's former mulberry32 alike) are still at
  // BCE 0.06–0.2 after 40 steps, the rest below 0.002. So the claims are over seeds, not one.
  it('a 2-conv-layer net with BN learns horizontal vs vertical stripes: every seed of 0–7 starts near chance and halves its loss within 40 steps, most reach BCE < 0.02; deterministic', async () => {
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const finals: number[] = [];
    for (let seed = 0; seed < 8; seed++) {
      const a = await trainStripes(40, seed);
      // The output starts near 0 (small fc weights), i.e. near ln 2 ≈ 0.69 for balanced labels.
      expect(a.losses[0], `seed ${seed}`).toBeGreaterThan(0.5);
      // Learning nothing would keep the later mean near the first (≈ 0.69).
      expect(mean(a.losses.slice(-10)), `seed ${seed}`).toBeLessThan(0.5 * mean(a.losses.slice(0, 10)));
      // A batch BCE below ln 2 / B leaves every sample's own BCE below ln 2: all classified right.
      if (a.losses.at(-1)! < Math.LN2 / B) expect(a.acc, `seed ${seed}`).toBe(1);
      finals.push(mean(a.losses.slice(-10)));
    }
    expect(finals.filter((l) => l < 0.02).length).toBeGreaterThanOrEqual(4);
    const a = await trainStripes(40, 3);
    const b = await trainStripes(40, 3);
    expect(b.losses).toEqual(a.losses); // bit-identical with the same seed
    expect(Array.from(b.w)).toEqual(Array.from(a.w));
  });

  it('BN running statistics are returned and follow the batch statistics', async () => {
    const tr = await Trainer.create(stripeNet(), { seed: 1, intraOpNumThreads: 1 });
    const before = tr.buffers.get('bn1.running_var')!.slice();
    const { x, y } = stripes(1, 0);
    await tr.trainStep({ x, y }, 0.01);
    const after = tr.buffers.get('bn1.running_var')!;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(tr.buffers.get('bn1.running_mean')!.some((v) => v !== 0)).toBe(true);
    await tr.release();
  });
});

describe('training loop: checkpoint, resume, progress, cancel', () => {
  const run = async (dir: string, cancelAt: number | null, progress?: TrainProgress[]) => {
    const tr = await Trainer.create(stripeNet({ kind: 'sgd', momentum: 0.9 }), {
      seed: 5,
      intraOpNumThreads: 1,
    });
    try {
      const res = await runTrainingLoop({
        trainer: tr,
        epochs: 3,
        stepsPerEpoch: 6,
        batch: (e, s) => stripes(11, e * 6 + s),
        lr: stepLr(0.05, 2, 0.5),
        checkpoint: { path: join(dir, 'ck.bin'), key: 'stripes-v1' },
        shouldCancel: () => cancelAt !== null && tr.step >= cancelAt,
        onProgress: (p) => progress?.push(p),
        progressIntervalMs: 0,
      });
      return { res, params: tr.weights(), step: tr.step };
    } finally {
      await tr.release();
    }
  };

  it('a run cancelled at step 8 and resumed ends with exactly the weights of an uninterrupted run', async () => {
    const full = await run(mkdtempSync(join(tmpdir(), 'eng-ck-')), null);
    const dir = mkdtempSync(join(tmpdir(), 'eng-ck-'));
    await expect(run(dir, 8)).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(join(dir, 'ck.bin'))).toBe(true);
    const progress: TrainProgress[] = [];
    const resumed = await run(dir, null, progress);
    expect(resumed.res.resumedFromStep).toBe(8);
    expect(resumed.step).toBe(18);
    expect(progress[0].step).toBe(9);
    expect(progress.at(-1)!.step).toBe(18);
    expect(progress.at(-1)!.etaMs).toBe(0);
    expect(progress.every((p) => Number.isFinite(p.loss) && p.epochs === 3)).toBe(true);
    for (const [k, v] of full.params) expect(Array.from(resumed.params.get(k)!), k).toEqual(Array.from(v));
  });

  it('refuses a checkpoint written by a different run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eng-ck-'));
    await run(dir, null);
    const tr = await Trainer.create(stripeNet({ kind: 'sgd', momentum: 0.9 }), { seed: 5 });
    await expect(
      runTrainingLoop({
        trainer: tr,
        epochs: 1,
        stepsPerEpoch: 1,
        batch: () => stripes(1, 0),
        lr: () => 0.1,
        checkpoint: { path: join(dir, 'ck.bin'), key: 'something-else' },
      }),
    ).rejects.toThrow(/different run/);
    await tr.release();
  });
});
