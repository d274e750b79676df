// Losses and training-mode BatchNorm: gradients against finite differences, values against
// direct JS computations.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession } from '../../../src/main/runtime';
import { batchNorm } from '../../../src/main/engine/layers';
import {
  bceLoss,
  bceWithLogitsLoss,
  cosineDistanceLoss,
  focalLoss,
  l1Loss,
  mseLoss,
  ssimLoss,
} from '../../../src/main/engine/losses';
import { ModelBuilder } from '../../../src/main/engine/model';
import { gradCheck, type GradInput } from './gradcheck';

const inp = (name: string, shape: number[], gen: GradInput['gen'] = 'normal', noGrad = false): GradInput => ({
  name,
  shape,
  gen,
  noGrad,
});

async function evalScalar(build: (g: GraphBuilder) => string): Promise<number> {
  const g = new GraphBuilder('v');
  g.output(build(g));
  const { session } = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
  const out = await session.run({});
  await session.release();
  return (Object.values(out)[0].data as Float32Array)[0];
}

describe('loss gradients (finite differences, rel. err ≤ 1e-3)', () => {
  // Log-based losses have large third derivatives near p = 0.1, so they take a smaller ε.
  const cases: Array<[string, GradInput[], (g: GraphBuilder, x: string[]) => string, number?]> = [
    ['MSE', [inp('a', [2, 3, 4]), inp('b', [2, 3, 4])], (g, [a, b]) => mseLoss(g, a, b)],
    [
      'L1',
      [inp('a', [2, 3, 4], 'awayFromZero'), inp('b', [2, 3, 4], 'awayFromZero', true)],
      (g, [a, b]) => l1Loss(g, a, g.mul(b, g.constant(0.01))),
    ],
    [
      'cosine distance (axis 1)',
      [inp('a', [2, 5, 3]), inp('b', [2, 5, 3])],
      (g, [a, b]) => cosineDistanceLoss(g, a, b),
    ],
    [
      'SSIM (11×11 Gaussian window σ 1.5)',
      [inp('a', [1, 2, 12, 12], 'unit'), inp('b', [1, 2, 12, 12], 'unit')],
      (g, [a, b]) => ssimLoss(g, a, b),
    ],
    [
      'focal γ 2 α 0.25',
      [inp('p', [2, 1, 3, 3], 'unit'), inp('t', [2, 1, 3, 3], 'binary', true)],
      (g, [p, t]) => focalLoss(g, p, t, { gamma: 2, alpha: 0.25 }),
      2e-3,
    ],
    [
      'BCE on probabilities',
      [inp('p', [4, 3], 'unit'), inp('t', [4, 3], 'binary', true)],
      (g, [p, t]) => bceLoss(g, p, t),
      2e-3,
    ],
    [
      'BCE with logits',
      [inp('z', [4, 3], 'awayFromZero'), inp('t', [4, 3], 'binary', true)],
      (g, [z, t]) => bceWithLogitsLoss(g, z, t),
    ],
  ];
  for (const [name, inputs, build, eps] of cases) {
    it(name, async () => {
      const r = await gradCheck({ inputs, build, maxElements: 96, eps });
      for (const [k, v] of Object.entries(r.relErr)) expect(v, `d/d${k}`).toBeLessThanOrEqual(1e-3);
    });
  }

  it('BatchNorm in training mode (batch statistics through ReduceMean), x, γ and β', async () => {
    const r = await gradCheck({
      inputs: [inp('x', [3, 2, 2, 2]), inp('gamma', [2], 'positive'), inp('beta', [2])],
      build: (g, [x, gamma, beta]) => {
        const mb = new ModelBuilder(g, {
          training: true,
          bind: new Map([
            ['bn.weight', gamma],
            ['bn.bias', beta],
            ['bn.running_mean', g.constant([0, 0])],
            ['bn.running_var', g.constant([1, 1])],
          ]),
        });
        return batchNorm(mb, x, { name: 'bn', channels: 2 });
      },
    });
    for (const [k, v] of Object.entries(r.relErr)) expect(v, `d/d${k}`).toBeLessThanOrEqual(1e-3);
  });
});

describe('loss values', () => {
  const a = [0.2, 0.9, 0.4, 0.7];
  const b = [0.1, 0.5, 0.8, 0.7];
  const t = (g: GraphBuilder, v: number[]) =>
    g.initializer(g.uniqueName('t'), Float32Array.from(v), [1, 1, 2, 2]);
  it('MSE, L1, BCE match their definitions', async () => {
    const mse = a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / 4;
    const l1 = a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / 4;
    const tgt = [0, 1, 1, 0];
    const bce = -a.reduce((s, p, i) => s + tgt[i] * Math.log(p) + (1 - tgt[i]) * Math.log(1 - p), 0) / 4;
    expect(await evalScalar((g) => mseLoss(g, t(g, a), t(g, b)))).toBeCloseTo(mse, 6);
    expect(await evalScalar((g) => l1Loss(g, t(g, a), t(g, b)))).toBeCloseTo(l1, 6);
    expect(await evalScalar((g) => bceLoss(g, t(g, a), t(g, tgt)))).toBeCloseTo(bce, 5);
    // logits whose sigmoid is `a` give the same BCE
    const logits = a.map((p) => Math.log(p / (1 - p)));
    expect(await evalScalar((g) => bceWithLogitsLoss(g, t(g, logits), t(g, tgt)))).toBeCloseTo(bce, 5);
  });
  it('SSIM loss is 0 for identical images and grows with noise', async () => {
    const img = Array.from({ length: 256 }, (_, i) => ((i * 37) % 101) / 100);
    const noisy = img.map((v, i) => Math.min(1, Math.max(0, v + (((i * 13) % 7) - 3) * 0.05)));
    const T = (g: GraphBuilder, v: number[]) =>
      g.initializer(g.uniqueName('t'), Float32Array.from(v), [1, 1, 16, 16]);
    const same = await evalScalar((g) => ssimLoss(g, T(g, img), T(g, img)));
    const diff = await evalScalar((g) => ssimLoss(g, T(g, img), T(g, noisy)));
    expect(Math.abs(same)).toBeLessThan(1e-5);
    expect(diff).toBeGreaterThan(0.01);
  });
  it('cosine distance: 0 for parallel, 1 for orthogonal, 2 for opposite vectors', async () => {
    const V = (g: GraphBuilder, v: number[]) =>
      g.initializer(g.uniqueName('v'), Float32Array.from(v), [1, 2, 1]);
    expect(await evalScalar((g) => cosineDistanceLoss(g, V(g, [1, 2]), V(g, [2, 4])))).toBeCloseTo(0, 5);
    expect(await evalScalar((g) => cosineDistanceLoss(g, V(g, [1, 0]), V(g, [0, 3])))).toBeCloseTo(1, 5);
    expect(await evalScalar((g) => cosineDistanceLoss(g, V(g, [1, 1]), V(g, [-1, -1])))).toBeCloseTo(2, 5);
  });
});
