// STPM: the loss term is 2 − 2·cos, the student learns the teacher's features, and the exported
// package graph computes exactly the map the training-side evaluator's distances combine into.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession, float32Tensor } from '../../../src/main/runtime';
import { interpolationMatrix } from '../../../src/main/engine/interp';
import { Trainer } from '../../../src/main/engine/trainer';
import {
  ANOMALY_MAP,
  PRED_SCORE,
  buildStpmPackageModel,
  buildStpmTrainingStep,
  tapDistance,
} from '../../../src/main/methods/stpm/graph';
import { StpmEvaluator, teacherContext, teacherFeatures } from '../../../src/main/methods/stpm/fit';
import { resolveStpmConfig, type StpmTap } from '../../../src/main/methods/stpm/types';
import { smoothImages, tinyTeacher } from './tiny-teacher';

const S = 32;

async function setup(n: number) {
  const cfg = resolveStpmConfig('station', { inputSize: S });
  const ctx = await teacherContext(cfg, '/nonexistent', tinyTeacher(S));
  const set = await teacherFeatures(ctx, smoothImages(n, S, 11), { batch: 4 });
  return { ctx, set };
}

function batchFeeds(
  ctx: Awaited<ReturnType<typeof setup>>['ctx'],
  set: Awaited<ReturnType<typeof setup>>['set'],
) {
  const feeds: Record<string, Float32Array> = { input: set.pixels };
  set.teacher.forEach((t, i) => (feeds[`teacher_${i}`] = t));
  return feeds;
}

/** [n, 1, h, w] → [n, 1, H, W] bilinear half-pixel, as ONNX Resize (separable matrices). */
function upsample(x: Float32Array, n: number, h: number, to: number): Float32Array {
  if (h === to) return x;
  const r = interpolationMatrix(h, to, { mode: 'linear', coordinateMode: 'half_pixel' }); // [to, h]
  const out = new Float32Array(n * to * to);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < to; i++)
      for (let j = 0; j < to; j++) {
        let s = 0;
        for (let p = 0; p < h; p++) {
          const rp = r[i * h + p];
          if (rp === 0) continue;
          for (let q = 0; q < h; q++) s += rp * r[j * h + q] * x[b * h * h + p * h + q];
        }
        out[b * to * to + i * to + j] = s;
      }
  return out;
}

describe('STPM', () => {
  it('tap distance is Σ_c (t̂ − ŝ)² = 2 − 2·cos', async () => {
    const g = new GraphBuilder('dist');
    const a = g.input('a', 'float32', [1, 3, 1, 2]);
    const b = g.input('b', 'float32', [1, 3, 1, 2]);
    g.output(tapDistance(g, a, b, 'd'));
    const { session } = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
    // location 0: a = (1,0,0), b = (1,1,0) → cos = 1/√2; location 1: a = (0,2,0), b = (0,0,3) → cos 0
    const av = new Float32Array([1, 0, 0, 2, 0, 0]);
    const bv = new Float32Array([1, 0, 1, 0, 0, 3]);
    const out = await session.run({ a: float32Tensor(av, [1, 3, 1, 2]), b: float32Tensor(bv, [1, 3, 1, 2]) });
    await session.release();
    const d = out.d.data as Float32Array;
    expect(d[0]).toBeCloseTo(2 - Math.SQRT2, 5);
    expect(d[1]).toBeCloseTo(2, 5);
  });

  it('the student learns: the loss after 40 SGD steps (paper lr 0.4) is well below the first', async () => {
    const { ctx, set } = await setup(4);
    const step = buildStpmTrainingStep(ctx.proto, ctx.taps, S, 4, { momentum: 0.9, weightDecay: 1e-4 });
    // Every teacher conv became a trainable conv + BatchNorm (4 convs: weight, γ, β each).
    expect(step.trainable.length).toBe(5 * 3);
    const trainer = await Trainer.create(step, { seed: 1 });
    const feeds = batchFeeds(ctx, set);
    const first = (await trainer.trainStep(feeds, 0.4)).loss;
    let last = first;
    for (let i = 0; i < 40; i++) last = (await trainer.trainStep(feeds, 0.4)).loss;
    await trainer.release();
    // A random student sits near 1 − cos ≈ 1 per tap (3 taps); a learning one drops far below.
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(0.5 * first);
  });

  it('the exported graph computes the map the evaluator distances give (upsample, product, upsample; max)', async () => {
    const { ctx, set } = await setup(3);
    const step = buildStpmTrainingStep(ctx.proto, ctx.taps, S, 3, { momentum: 0.9, weightDecay: 1e-4 });
    const trainer = await Trainer.create(step, { seed: 2 });
    for (let i = 0; i < 5; i++) await trainer.trainStep(batchFeeds(ctx, set), 0.4);
    await trainer.release();
    const weights = trainer.weights();
    const shapes = new Map([...step.params, ...step.buffers].map((p) => [p.name, p.shape]));

    const ev = await StpmEvaluator.create(ctx);
    const { distances } = await ev.run(weights, set, 0, 3, shapes);
    await ev.release();
    const grid = Math.max(...ctx.taps.map((t: StpmTap) => t.size));
    let product = new Float32Array(3 * grid * grid).fill(1);
    ctx.taps.forEach((t: StpmTap, i: number) => {
      const u = upsample(distances[i], 3, t.size, grid);
      product = product.map((v, k) => v * u[k]);
    });
    const expected = upsample(product, 3, grid, S);

    const model = buildStpmPackageModel(ctx.proto, { taps: ctx.taps, inputSize: S, weights });
    const { session } = await createSession(serializeModel(model), { providerOrder: ['cpu'] });
    const out = await session.run({ input: float32Tensor(set.pixels, [3, 3, S, S]) });
    await session.release();
    expect(out[ANOMALY_MAP].dims).toEqual([3, 1, S, S]);
    const map = out[ANOMALY_MAP].data as Float32Array;
    const scale = Math.max(...expected);
    expect(scale).toBeGreaterThan(0);
    let maxErr = 0;
    for (let k = 0; k < map.length; k++) maxErr = Math.max(maxErr, Math.abs(map[k] - expected[k]));
    expect(maxErr / scale).toBeLessThan(1e-4);
    const score = out[PRED_SCORE].data as Float32Array;
    for (let b = 0; b < 3; b++)
      expect(score[b]).toBeCloseTo(Math.max(...map.subarray(b * S * S, (b + 1) * S * S)), 6);
  });
});
