// Augmentation of float batches: exact flips, rotation by 90° on a square image, identity without
// options, colour jitter on known values, and reproducibility keyed by (seed, epoch, step).
import { describe, expect, it } from 'vitest';
import { augmentBatch, augmentSample, type SampleAugment } from '../../../src/main/engine/augment';

const none: SampleAugment = {
  hflip: false,
  vflip: false,
  angle: 0,
  brightness: 1,
  contrast: 1,
  saturation: 1,
};
const img = (c: number, h: number, w: number) =>
  Float32Array.from({ length: c * h * w }, (_, i) => ((i * 37) % 101) / 100);

describe('augmentation', () => {
  it('hflip mirrors columns exactly; vflip mirrors rows; no options copy the input', () => {
    const [c, h, w] = [2, 3, 4];
    const x = img(c, h, w);
    const out = new Float32Array(x.length);
    augmentSample(x, out, c, h, w, { ...none, hflip: true });
    for (let k = 0; k < c; k++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          expect(out[k * h * w + i * w + j]).toBe(x[k * h * w + i * w + (w - 1 - j)]);
    augmentSample(x, out, c, h, w, { ...none, vflip: true });
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) expect(out[i * w + j]).toBe(x[(h - 1 - i) * w + j]);
    augmentSample(x, out, c, h, w, none);
    expect(Array.from(out)).toEqual(Array.from(x));
  });

  it('rotation by 90° on a square image moves pixel (i, j) to (j, n−1−i)', () => {
    const n = 5;
    const x = img(1, n, n);
    const out = new Float32Array(x.length);
    augmentSample(x, out, 1, n, n, { ...none, angle: Math.PI / 2 });
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(out[j * n + (n - 1 - i)]).toBeCloseTo(x[i * n + j], 5);
  });

  it('brightness scales, contrast pivots on the mean grey, saturation 0 makes RGB grey; results clamped to [0,1]', () => {
    const x = Float32Array.from([0.2, 0.4, 0.1, 0.3, 0.5, 0.6]); // 1 channel, 2×3
    const out = new Float32Array(6);
    augmentSample(x, out, 1, 2, 3, { ...none, brightness: 1.5 });
    expect(Array.from(out)).toEqual(Array.from(x).map((v) => Math.fround(Math.min(1, v * 1.5))));
    augmentSample(x, out, 1, 2, 3, { ...none, contrast: 0 });
    const mean = Array.from(x).reduce((a, b) => a + b, 0) / 6;
    for (const v of out) expect(v).toBeCloseTo(mean, 6);
    const rgb = Float32Array.from([0.9, 0.1, 0.2, 0.3, 0.8, 0.5]); // 3 channels, 1×2
    const o3 = new Float32Array(6);
    augmentSample(rgb, o3, 3, 1, 2, { ...none, saturation: 0 });
    for (let p = 0; p < 2; p++) {
      expect(o3[p]).toBeCloseTo(o3[2 + p], 6);
      expect(o3[p]).toBeCloseTo(o3[4 + p], 6);
    }
  });

  it('the same (seed, epoch, step) gives the same batch; another step a different one', () => {
    const shape = [4, 3, 8, 8] as const;
    const x = img(4 * 3, 8, 8);
    const o = { hflip: 0.5, vflip: 0.5, rotateDeg: 15, brightness: 0.2, contrast: 0.2, saturation: 0.2 };
    const a = augmentBatch(x, shape, { seed: 1, epoch: 2, step: 3 }, o);
    const b = augmentBatch(x, shape, { seed: 1, epoch: 2, step: 3 }, o);
    const c = augmentBatch(x, shape, { seed: 1, epoch: 2, step: 4 }, o);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(() => augmentBatch(x.subarray(1), shape, { seed: 1, epoch: 0, step: 0 }, o)).toThrow(/needs/);
  });
});
