// Several step graphs over shared parameters (GAN-style alternation), stop-gradient, and the
// seeded dropout masks.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlternatingTrainer } from '../../../src/main/engine/alternating';
import { stopGradient } from '../../../src/main/engine/autodiff';
import { dropout, linear } from '../../../src/main/engine/layers';
import { bceWithLogitsLoss, mseLoss } from '../../../src/main/engine/losses';
import type { ModelBuilder } from '../../../src/main/engine/model';
import { buildTrainingStep } from '../../../src/main/engine/train-step';
import { Trainer } from '../../../src/main/engine/trainer';
import { gradCheck } from './gradcheck';

const B = 6;
const Z = 3;
const D = 4;

// Generator z [B,Z] → x̂ [B,D]; discriminator x [B,D] → logit [B,1].
const gen = (mb: ModelBuilder, z: string) =>
  mb.g.op('Tanh', [linear(mb, z, { name: 'G', inFeatures: Z, outFeatures: D })]);
const disc = (mb: ModelBuilder, x: string) =>
  linear(mb, mb.g.relu(linear(mb, x, { name: 'D1', inFeatures: D, outFeatures: 8 })), {
    name: 'D2',
    inFeatures: 8,
    outFeatures: 1,
  });
const G_PARAMS = ['G.weight', 'G.bias'];
const D_PARAMS = ['D1.weight', 'D1.bias', 'D2.weight', 'D2.bias'];

function ganGraphs() {
  const dStep = buildTrainingStep({
    name: 'd_step',
    optimizer: { kind: 'adam' },
    frozen: G_PARAMS,
    define: (mb) => {
      const g = mb.g;
      const real = g.input('real', 'float32', [B, D]);
      const z = g.input('z', 'float32', [B, Z]);
      const fake = stopGradient(g, gen(mb, z));
      const both = g.concat([disc(mb, real), disc(mb, fake)], 0);
      const target = g.constant(
        Array.from({ length: 2 * B }, (_, i) => (i < B ? 1 : 0)),
        { name: 't' },
      );
      return { loss: bceWithLogitsLoss(g, both, g.reshape(target, [2 * B, 1])) };
    },
  });
  const gStep = buildTrainingStep({
    name: 'g_step',
    optimizer: { kind: 'sgd', momentum: 0.5 },
    frozen: D_PARAMS,
    define: (mb) => {
      const g = mb.g;
      const z = g.input('z', 'float32', [B, Z]);
      const ones = g.constant(new Array<number>(B).fill(1), { name: 'ones' });
      return { loss: bceWithLogitsLoss(g, disc(mb, gen(mb, z)), g.reshape(ones, [B, 1])) };
    },
  });
  return { d: dStep, g: gStep };
}

const batch = (k: number) => ({
  real: Float32Array.from({ length: B * D }, (_, i) => 0.5 + 0.3 * Math.sin(i + k)),
  z: Float32Array.from({ length: B * Z }, (_, i) => Math.cos(i * 1.7 + k)),
});

describe('alternating step graphs over shared parameters', () => {
  it('the D step changes only D, the G step only G; each sees the other’s latest values; separate optimizers', async () => {
    const gan = await AlternatingTrainer.create(ganGraphs(), { seed: 4, intraOpNumThreads: 1 });
    const snap = () => new Map([...gan.params].map(([k, v]) => [k, v.slice()]));
    const s0 = snap();
    await gan.step('d', batch(0), 0.01);
    const s1 = snap();
    for (const p of D_PARAMS) expect(Array.from(s1.get(p)!)).not.toEqual(Array.from(s0.get(p)!));
    for (const p of G_PARAMS) expect(Array.from(s1.get(p)!)).toEqual(Array.from(s0.get(p)!));
    await gan.step('g', batch(0), 0.05);
    const s2 = snap();
    for (const p of G_PARAMS) expect(Array.from(s2.get(p)!)).not.toEqual(Array.from(s1.get(p)!));
    for (const p of D_PARAMS) expect(Array.from(s2.get(p)!)).toEqual(Array.from(s1.get(p)!));
    expect(gan.steps()).toEqual({ d: 1, g: 1 });
    // Adam's two slots for D only; SGD momentum for G only.
    expect([...gan.trainers.get('d')!.state.keys()].sort()).toEqual(
      D_PARAMS.flatMap((p) => [`${p}__m`, `${p}__v`]).sort(),
    );
    expect([...gan.trainers.get('g')!.state.keys()].sort()).toEqual(
      G_PARAMS.map((p) => `${p}__momentum`).sort(),
    );
    await gan.release();
  });

  it('a checkpoint taken mid-run and restored continues bit-identically', async () => {
    const run = async (stopAt: number | null, resumeFrom?: string) => {
      const gan = await AlternatingTrainer.create(ganGraphs(), { seed: 9, intraOpNumThreads: 1 });
      if (resumeFrom) gan.loadCheckpoint(resumeFrom);
      const path = join(mkdtempSync(join(tmpdir(), 'gan-ck-')), 'ck.bin');
      for (let k = gan.steps().d; k < 6; k++) {
        if (k === stopAt) {
          gan.saveCheckpoint(path);
          await gan.release();
          return { path, w: null };
        }
        await gan.step('d', batch(k), 0.01);
        await gan.step('g', batch(k), 0.02);
      }
      const w = gan.weights();
      await gan.release();
      return { path, w };
    };
    const full = await run(null);
    const half = await run(3);
    const resumed = await run(null, half.path);
    for (const [k, v] of full.w!) expect(Array.from(resumed.w!.get(k)!), k).toEqual(Array.from(v));
  });
});

describe('stop-gradient', () => {
  it('d/dx of x·stopGradient(x) is x (one path), checked against finite differences of x·c', async () => {
    const r = await gradCheck({
      inputs: [{ name: 'x', shape: [2, 3] }],
      build: (g, [x]) => g.mul(x, stopGradient(g, x)),
    });
    // Finite differences see both paths (2x); the analytic gradient must be half of it.
    expect(r.relErr.x).toBeGreaterThan(0.45);
    expect(r.relErr.x).toBeLessThan(0.55);
  });
});

describe('dropout', () => {
  const step = (p: number) =>
    buildTrainingStep({
      optimizer: { kind: 'sgd' },
      define: (mb) => {
        const g = mb.g;
        const x = g.input('x', 'float32', [64, 16]);
        const h = dropout(mb, x, { name: 'drop', p });
        return {
          loss: mseLoss(
            g,
            linear(mb, h, { name: 'fc', inFeatures: 16, outFeatures: 1 }),
            g.input('t', 'float32', [64, 1]),
          ),
        };
      },
    });

  it('masks are drawn by the trainer from its seed and step: reproducible, fresh each step, rate p', async () => {
    const g = step(0.25);
    expect(g.batchInputs.map((b) => b.name).sort()).toEqual(['t', 'x']);
    expect(g.masks).toEqual([{ name: 'drop.dropout_mask', shape: [64, 16], p: 0.25 }]);
    const x = new Float32Array(64 * 16).fill(1);
    const t = new Float32Array(64).fill(0);
    const weightsAfter = async (seed: number, steps: number) => {
      const tr = await Trainer.create(g, { seed, intraOpNumThreads: 1 });
      for (let i = 0; i < steps; i++) await tr.trainStep({ x, t }, 0.01);
      const w = tr.params.get('fc.weight')!.slice();
      await tr.release();
      return w;
    };
    expect(Array.from(await weightsAfter(1, 3))).toEqual(Array.from(await weightsAfter(1, 3)));
    expect(Array.from(await weightsAfter(1, 3))).not.toEqual(Array.from(await weightsAfter(2, 3)));
  });

  it('the layer is the identity at inference and without p', () => {
    const g = step(0);
    expect(g.masks).toEqual([]);
  });
});

describe('Dropout op in training mode', () => {
  it('dx = dy·mask/(1−p): with L = Σ r·y, the gradient equals r·y/x element-wise (same run, same mask)', async () => {
    const { GraphBuilder } = await import('../../../src/main/onnx/builder');
    const { serializeModel } = await import('../../../src/main/onnx/serialize');
    const { createSession, float32Tensor } = await import('../../../src/main/runtime');
    const { gradients } = await import('../../../src/main/engine/autodiff');
    const g = new GraphBuilder('drop');
    const x = g.input('x', 'float32', [4, 50]);
    const [y] = g.node(
      'Dropout',
      [x, g.constant(0.4), g.initializer('tm', Uint8Array.from([1]), [], 'bool')],
      {},
      { outputs: 2 },
    );
    const r = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i) + 1.5);
    const loss = g.reduce('ReduceSum', g.mul(y, g.initializer('r', r, [4, 50])), [0, 1], false);
    const dx = gradients(g, loss, [x]).get(x)!;
    g.output(g.identity(y, 'y_out'));
    g.output(g.identity(dx, 'dx_out'));
    const s = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
    const xv = Float32Array.from({ length: 200 }, (_, i) => 0.5 + (i % 7) * 0.1);
    const out = await s.session.run({ x: float32Tensor(xv, [4, 50]) });
    const yv = out.y_out.data as Float32Array;
    const dv = out.dx_out.data as Float32Array;
    let dropped = 0;
    for (let i = 0; i < 200; i++) {
      if (yv[i] === 0) dropped++;
      expect(dv[i]).toBeCloseTo((r[i] * yv[i]) / xv[i], 4);
    }
    expect(dropped).toBeGreaterThan(40);
    expect(dropped).toBeLessThan(120);
    await s.session.release();
  });
});
