// DRAEM training batches and training: the simulation contract per sample, reproducibility, and
// the reconstruction visibly improving over a few dozen steps on a tiny set.
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../../src/main/engine/trainer';
import { buildDraemTrainingStep } from '../../../src/main/methods/draem/graph';
import { BatchMaker } from '../../../src/main/methods/draem/simulate';
import { draemSchedule } from '../../../src/main/methods/draem/fit';
import { resolveDraemConfig } from '../../../src/main/methods/draem/types';
import { drawTexture, type RgbPixels } from '../../../src/main/synthetic';
import { createRng } from '../../../src/main/util/rng';

const S = 32;
const goods: RgbPixels[] = [0, 1, 2, 3].map((i) => ({
  ...drawTexture(createRng(50 + i), S, S, { kinds: ['stripes'] }),
}));
const sim = { cleanProbability: 0.5, preRotateProbability: 0.3, userTextures: [] };

describe('DRAEM batches', () => {
  it('augmented equals clean outside the mask; about half the samples are clean; reproducible', () => {
    const a = new BatchMaker(goods, S, 8, 7, sim);
    const b = new BatchMaker(goods, S, 8, 7, sim);
    let clean = 0;
    let total = 0;
    let outside = 0;
    const hw = S * S;
    for (let step = 0; step < 10; step++) {
      const x = a.fill(step * 8);
      const y = b.fill(step * 8);
      expect(x.augmented).toEqual(y.augmented);
      expect(x.mask).toEqual(y.mask);
      for (let j = 0; j < 8; j++) {
        let on = 0;
        for (let p = 0; p < hw; p++) {
          const m = x.mask[j * hw + p];
          on += m;
          if (m === 0)
            for (let c = 0; c < 3; c++) {
              const i = j * 3 * hw + c * hw + p;
              if (x.augmented[i] !== x.clean[i]) outside++;
            }
        }
        total++;
        if (on === 0) clean++;
      }
    }
    expect(outside).toBe(0);
    expect(clean / total).toBeGreaterThan(0.3);
    expect(clean / total).toBeLessThan(0.7);
  });

  it('every image is visited once per cycle', () => {
    const m = new BatchMaker(goods, S, 2, 1, sim);
    const cycle = [0, 1, 2, 3].map((k) => m.imageFor(k)).sort();
    expect(cycle).toEqual([0, 1, 2, 3]);
  });

  it('station preset: a fixed sample budget whatever the image count; paper: 700 epochs', () => {
    const st = resolveDraemConfig('station');
    expect(st.inputSize).toBe(64);
    for (const n of [50, 200, 1000]) {
      const s = draemSchedule(st, n);
      expect(Math.abs(s.epochs * s.stepsPerEpoch * st.batch - 4800)).toBeLessThanOrEqual(
        s.stepsPerEpoch * st.batch,
      );
    }
    const paper = resolveDraemConfig('paper');
    expect([paper.inputSize, paper.recBase, paper.discBase, paper.batch, paper.scoreFilter]).toEqual([
      256, 128, 64, 8, 21,
    ]);
    expect(draemSchedule(paper, 200)).toEqual({ epochs: 700, stepsPerEpoch: 25 });
    expect(() => resolveDraemConfig('station', { inputSize: 40 })).toThrow(/multiple of 32/);
  });
});

describe('DRAEM training on a tiny set', () => {
  it('the reconstruction error (L2 and 1 − SSIM) falls well below its starting value', async () => {
    const trainer = await Trainer.create(
      buildDraemTrainingStep({ inputSize: S, recBase: 8, discBase: 4, batch: 4 }),
      {
        seed: 3,
      },
    );
    const maker = new BatchMaker(goods, S, 4, 11, { ...sim, cleanProbability: 1, preRotateProbability: 0 });
    const first: { l2: number; ssim: number }[] = [];
    const last: { l2: number; ssim: number }[] = [];
    try {
      for (let step = 0; step < 80; step++) {
        const b = maker.fill(step * 4);
        const r = await trainer.trainStep({ augmented: b.augmented, clean: b.clean, mask: b.mask }, 2e-3);
        if (step < 3) first.push({ l2: r.metrics.l2, ssim: r.metrics.ssim });
        if (step >= 77) last.push({ l2: r.metrics.l2, ssim: r.metrics.ssim });
      }
    } finally {
      await trainer.release();
    }
    const mean = (xs: { l2: number; ssim: number }[], k: 'l2' | 'ssim') =>
      xs.reduce((s, x) => s + x[k], 0) / xs.length;
    expect(mean(last, 'l2')).toBeLessThan(0.3 * mean(first, 'l2'));
    expect(mean(last, 'ssim')).toBeLessThan(0.7 * mean(first, 'ssim'));
  }, 240_000);
});
