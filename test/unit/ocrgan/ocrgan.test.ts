// OCR-GAN pieces: CutPaste negatives, frequency decoupling, and the alternating steps (each player
// updates only its own parameters; the channel-selection block is learned).
import { describe, expect, it } from 'vitest';
import { AlternatingTrainer } from '../../../src/main/engine/alternating';
import { cutPaste } from '../../../src/main/methods/ocrgan/cutpaste';
import { buildDiscriminatorStep, buildGeneratorStep, decouple } from '../../../src/main/methods/ocrgan/graph';
import { resolveOcrganConfig } from '../../../src/main/methods/ocrgan/types';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession, float32Tensor } from '../../../src/main/runtime';
import { createRng } from '../../../src/main/util/rng';

const S = 16;

function smooth(seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(3 * S * S);
  const p = rng.uniform(0, 3);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < S; y++)
      for (let i = 0; i < S; i++)
        x[(c * S + y) * S + i] = 0.8 * Math.sin(0.3 * i + p + c) * Math.cos(0.2 * y);
  return x;
}

describe('cutPaste', () => {
  it('pastes a jittered patch elsewhere, reproducibly, staying in [−1, 1]', () => {
    const base = smooth(1);
    const a = base.slice();
    const b = base.slice();
    cutPaste(a, S, createRng(5), [0.05, 0.15]);
    cutPaste(b, S, createRng(5), [0.05, 0.15]);
    expect(a).toEqual(b);
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      expect(a[i]).toBeGreaterThanOrEqual(-1);
      expect(a[i]).toBeLessThanOrEqual(1);
      if (a[i] !== base[i]) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(a.length * 0.5);
    const c = base.slice();
    cutPaste(c, S, createRng(6), [0.05, 0.15]);
    expect(c).not.toEqual(a);
  });
});

describe('decouple', () => {
  it('splits an image into a blurred low part and its residual (x = low + 2·high)', async () => {
    const g = new GraphBuilder('decouple');
    const { low, high } = decouple(g, g.input('x', 'float32', [1, 3, S, S]));
    g.node('Identity', [low], {}, { outputs: ['low'] });
    g.node('Identity', [high], {}, { outputs: ['high'] });
    g.output('low');
    g.output('high');
    const { session } = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
    const x = smooth(2);
    x[5 * S + 7] = 1; // a one-pixel spike: lives in the high part
    const out = await session.run({ x: float32Tensor(x, [1, 3, S, S]) });
    await session.release();
    const l = out.low.data as Float32Array;
    const h = out.high.data as Float32Array;
    for (let i = 0; i < x.length; i++) expect(l[i] + 2 * h[i]).toBeCloseTo(x[i], 5);
    const spike = 5 * S + 7;
    expect(Math.abs(h[spike])).toBeGreaterThan(Math.abs(h[spike + 3 * S]));
    for (const v of [...l, ...h]) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
  });
});

describe('alternating steps', () => {
  it('D steps leave G untouched, G steps leave D untouched, and channel selection learns', async () => {
    const cfg = resolveOcrganConfig('station', {
      inputSize: S,
      levels: 2,
      baseChannels: 4,
      maxChannels: 8,
      featureDim: 8,
    });
    const B = 2;
    const gan = await AlternatingTrainer.create(
      { d: buildDiscriminatorStep(cfg, B), g: buildGeneratorStep(cfg, B) },
      { seed: 3, providerOrder: ['cpu'], intraOpNumThreads: 1 },
    );
    try {
      const real = new Float32Array(B * 3 * S * S);
      real.set(smooth(3), 0);
      real.set(smooth(4), 3 * S * S);
      const cp = real.slice();
      cutPaste(cp.subarray(0, 3 * S * S), S, createRng(1), [0.1, 0.2]);
      cutPaste(cp.subarray(3 * S * S), S, createRng(2), [0.1, 0.2]);
      const snap = () => new Map([...gan.params].map(([k, v]) => [k, v.slice()]));
      const moved = (a: Map<string, Float32Array>, prefix: string) =>
        [...a].filter(([k, v]) => k.startsWith(prefix) && gan.params.get(k)!.some((x, i) => x !== v[i]))
          .length;
      let before = snap();
      const d = await gan.step('d', { real_image: real, cutpaste_image: cp }, 2e-4);
      expect(Number.isFinite(d.loss)).toBe(true);
      expect(moved(before, 'G.')).toBe(0);
      expect(moved(before, 'D.')).toBeGreaterThan(0);
      before = snap();
      const g = await gan.step('g', { real_image: real }, 2e-4);
      expect(Number.isFinite(g.loss)).toBe(true);
      expect(moved(before, 'D.')).toBe(0);
      expect(moved(before, 'G.cs.')).toBeGreaterThan(0);
    } finally {
      await gan.release();
    }
  });
});

describe('fitOcrgan resume', () => {
  it('continues a cancelled fit from its checkpoint with the same history', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fitOcrgan } = await import('../../../src/main/methods/ocrgan/fit');
    const dir = mkdtempSync(join(tmpdir(), 'ocrgan-resume-'));
    try {
      const images = Array.from({ length: 8 }, (_, k) => {
        const x = smooth(10 + k);
        const data = new Uint8Array(S * S * 3);
        for (let i = 0; i < S * S; i++)
          for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round((x[c * S * S + i] + 1) * 127.5);
        return { data, width: S, height: S, channels: 3 as const };
      });
      const config = {
        inputSize: S,
        levels: 2,
        baseChannels: 4,
        maxChannels: 8,
        featureDim: 8,
        batchSize: 3,
        epochs: 3,
      };
      const checkpointPath = join(dir, 'ckpt');
      let validated = 0;
      await expect(
        fitOcrgan({
          images,
          config,
          checkpointPath,
          onProgress: (p) => {
            if (p.stage === 'validate') validated++;
          },
          shouldCancel: () => validated >= 1,
        }),
      ).rejects.toThrow();
      const steps: number[] = [];
      const resumed = await fitOcrgan({
        images,
        config,
        checkpointPath,
        onProgress: (p) => {
          if (p.stage === 'train') steps.push(p.done);
        },
      });
      // It started after the finished epoch (2 steps of 3 images each), not from step 1.
      expect(steps[0]).toBe(3);
      const fresh = await fitOcrgan({ images, config });
      expect(resumed.epochs).toHaveLength(3);
      expect(resumed.epochs[0]).toEqual(fresh.epochs[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
