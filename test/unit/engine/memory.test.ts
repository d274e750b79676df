// A training step must not grow the process per step: parameters and optimizer state are swapped,
// not accumulated, and ORT's arena is reused. 200 steps of a small conv net whose outputs are
// ~2.3 MB per step (so a leak of even one step's outputs would show as hundreds of MB).
import { describe, expect, it } from 'vitest';
import { batchNorm, conv2d, linear } from '../../../src/main/engine/layers';
import { bceWithLogitsLoss } from '../../../src/main/engine/losses';
import { buildTrainingStep } from '../../../src/main/engine/train-step';
import { Trainer } from '../../../src/main/engine/trainer';

const B = 4;
const S = 16;

function net() {
  return buildTrainingStep({
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
    define: (mb) => {
      const g = mb.g;
      const x = g.input('x', 'float32', [B, 1, S, S]);
      const y = g.input('y', 'float32', [B, 1]);
      let h = g.relu(
        batchNorm(mb, conv2d(mb, x, { name: 'c1', inChannels: 1, outChannels: 16, kernel: 3, pad: 1 }), {
          name: 'bn1',
          channels: 16,
        }),
      );
      h = g.relu(
        conv2d(mb, h, { name: 'c2', inChannels: 16, outChannels: 32, kernel: 3, stride: 2, pad: 1 }),
      );
      const flat = g.reshape(h, [B, 32 * (S / 2) * (S / 2)]);
      const z = linear(mb, g.relu(linear(mb, flat, { name: 'fc1', inFeatures: 2048, outFeatures: 128 })), {
        name: 'fc2',
        inFeatures: 128,
        outFeatures: 1,
      });
      return { loss: bceWithLogitsLoss(g, z, y) };
    },
  });
}

describe('memory', () => {
  it('RSS stays flat over 200 training steps (growth after warm-up ≤ 48 MiB)', async () => {
    const step = net();
    const paramFloats = step.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(paramFloats * 4 * 2).toBeGreaterThan(2e6); // params + momentum returned every step
    const tr = await Trainer.create(step, { seed: 3, intraOpNumThreads: 1 });
    const x = new Float32Array(B * S * S);
    const y = Float32Array.from({ length: B }, (_, i) => i % 2);
    const rss: number[] = [];
    for (let i = 0; i < 200; i++) {
      for (let k = 0; k < x.length; k++) x[k] = Math.sin(k * 0.37 + i);
      await tr.trainStep({ x, y }, 0.01);
      if (i === 49 || i === 199) rss.push(process.memoryUsage().rss);
    }
    await tr.release();
    const growthMiB = (rss[1] - rss[0]) / 2 ** 20;
    expect(growthMiB).toBeLessThanOrEqual(48);
  }, 120_000);
});
