// Two-pair STPM: the reconstruction student (attention on every tap) learns to output the clean
// image's teacher features from synthetic anomalies, and the exported two-pair graph computes the
// map the training-side evaluators' distances combine into.
import { describe, expect, it } from 'vitest';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession, float32Tensor } from '../../../src/main/runtime';
import { interpolationMatrix } from '../../../src/main/engine/interp';
import { Trainer } from '../../../src/main/engine/trainer';
import { rgbToNchw } from '../../../src/main/models/preprocess';
import {
  ANOMALY_MAP,
  PRED_SCORE,
  buildStpmTrainingStep,
  plainStudent,
} from '../../../src/main/methods/stpm/graph';
import { StpmEvaluator, teacherContext, teacherFeatures } from '../../../src/main/methods/stpm/fit';
import { resolveStpmConfig, type StpmTap } from '../../../src/main/methods/stpm/types';
import { buildStpm2PackageModel, reconstructionStudent } from '../../../src/main/methods/stpm2/graph';
import { anomalyCorruption } from '../../../src/main/methods/stpm2/fit';
import { smoothImages, tinyTeacher } from '../stpm/tiny-teacher';

const S = 32;
const N = 4;

async function setup() {
  const cfg = resolveStpmConfig('station', { inputSize: S });
  const ctx = await teacherContext(cfg, '/nonexistent', tinyTeacher(S));
  const images = smoothImages(N, S, 11);
  const set = await teacherFeatures(ctx, images, { batch: 4 });
  return { ctx, set, images };
}

/** [n, 1, h, h] → [n, 1, to, to] bilinear half-pixel, as ONNX Resize. */
function upsample(x: Float32Array, n: number, h: number, to: number): Float32Array {
  if (h === to) return x;
  const r = interpolationMatrix(h, to, { mode: 'linear', coordinateMode: 'half_pixel' });
  const out = new Float32Array(n * to * to);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < to; i++)
      for (let j = 0; j < to; j++) {
        let s = 0;
        for (let p = 0; p < h; p++)
          for (let q = 0; q < h; q++) s += r[i * h + p] * r[j * h + q] * x[b * h * h + p * h + q];
        out[b * to * to + i * to + j] = s;
      }
  return out;
}

function productMap(distances: Float32Array[], taps: StpmTap[], n: number): Float32Array {
  const grid = Math.max(...taps.map((t) => t.size));
  let product = new Float32Array(n * grid * grid).fill(1);
  taps.forEach((t, i) => {
    const u = upsample(distances[i], n, t.size, grid);
    product = product.map((v, k) => v * u[k]);
  });
  return upsample(product, n, grid, S);
}

describe('two-pair STPM', () => {
  it('the reconstruction student learns clean features from synthetic anomalies (loss after 40 steps ≪ first)', async () => {
    const { ctx, set, images } = await setup();
    // Student input: a fresh synthetic anomaly of every image each step; target: clean features.
    const corrupt = anomalyCorruption(0, 0);
    const student = reconstructionStudent(ctx.taps, 16);
    const step = buildStpmTrainingStep(
      ctx.proto,
      ctx.taps,
      S,
      N,
      { momentum: 0.9, weightDecay: 1e-4 },
      student,
    );
    // The teacher's 5 convs (weight, γ, β) + per tap 2 channel-MLP convs and 1 spatial conv (w, b).
    expect(step.trainable.length).toBe(5 * 3 + 3 * 3 * 2);
    const trainer = await Trainer.create(step, { seed: 1 });
    const pixels = new Float32Array(N * 3 * S * S);
    const feeds = (s: number) => {
      images.forEach((img, i) => {
        const bad = corrupt(img.data, S, i, s);
        expect(bad).not.toEqual(img.data);
        rgbToNchw(bad, ctx.pre, pixels, i);
      });
      const f: Record<string, Float32Array> = { input: pixels };
      set.teacher.forEach((t, i) => (f[`teacher_${i}`] = t));
      return f;
    };
    const first = (await trainer.trainStep(feeds(0), 0.4)).loss;
    let last = first;
    for (let i = 1; i <= 40; i++) last = (await trainer.trainStep(feeds(i), 0.4)).loss;
    await trainer.release();
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(0.5 * first);
  });

  it('the exported graph = mean over pairs of (product map / pair scale), as the evaluators compute it', async () => {
    const { ctx, set } = await setup();
    const student2 = reconstructionStudent(ctx.taps, 16);
    const fitted = await Promise.all(
      ([plainStudent, student2] as const).map(async (student, k) => {
        const step = buildStpmTrainingStep(
          ctx.proto,
          ctx.taps,
          S,
          N,
          { momentum: 0.9, weightDecay: 1e-4 },
          student,
        );
        const trainer = await Trainer.create(step, { seed: 2 + k });
        const f: Record<string, Float32Array> = { input: set.pixels };
        set.teacher.forEach((t, i) => (f[`teacher_${i}`] = t));
        for (let i = 0; i < 5; i++) await trainer.trainStep(f, 0.4);
        await trainer.release();
        const weights = trainer.weights();
        const shapes = new Map([...step.params, ...step.buffers].map((p) => [p.name, p.shape]));
        const ev = await StpmEvaluator.create(ctx, undefined, student);
        const { distances } = await ev.run(weights, set, 0, N, shapes);
        await ev.release();
        return { weights, student, map: productMap(distances, ctx.taps, N) };
      }),
    );
    const scales: [number, number] = [0.7, 1.9];
    const expected = fitted[0].map.map((v, k) => (v / scales[0] + fitted[1].map[k] / scales[1]) / 2);
    const pair = (k: number) => ({
      teacher: ctx.proto,
      taps: ctx.taps,
      inputSize: S,
      weights: fitted[k].weights,
      student: fitted[k].student,
      mean: ctx.pre.mean,
      std: ctx.pre.std,
    });
    const model = buildStpm2PackageModel({ pairs: [pair(0), pair(1)], scales, combine: 'both' });
    const { session } = await createSession(serializeModel(model), { providerOrder: ['cpu'] });
    const out = await session.run({ input: float32Tensor(set.pixels, [N, 3, S, S]) });
    await session.release();
    expect(out[ANOMALY_MAP].dims).toEqual([N, 1, S, S]);
    const map = out[ANOMALY_MAP].data as Float32Array;
    const top = Math.max(...expected);
    expect(top).toBeGreaterThan(0);
    let maxErr = 0;
    for (let k = 0; k < map.length; k++) maxErr = Math.max(maxErr, Math.abs(map[k] - expected[k]));
    expect(maxErr / top).toBeLessThan(1e-4);
    // The two pairs' maps differ (different students), so the mean is not either one alone.
    let diff = 0;
    for (let k = 0; k < map.length; k++) diff = Math.max(diff, Math.abs(fitted[0].map[k] - fitted[1].map[k]));
    expect(diff).toBeGreaterThan(1e-3);
    const score = out[PRED_SCORE].data as Float32Array;
    for (let b = 0; b < N; b++)
      expect(score[b]).toBeCloseTo(Math.max(...map.subarray(b * S * S, (b + 1) * S * S)), 5);
  });
});
