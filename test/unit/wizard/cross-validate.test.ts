import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../src/main/eval/metrics';
import { kFolds } from '../../../src/main/methods/common';
import { ratesAt, suggestThresholds } from '../../../src/main/wizard/calibrate';
import { crossValidateGoodRates, MIN_CV_IMAGES } from '../../../src/main/wizard/cross-validate';
import { createRng } from '../../../src/main/util/rng';

function gaussian(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const u = Math.max(1e-12, rng.next());
    return 5 + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  });
}

describe('Wilson score interval', () => {
  it('matches published values and never leaves [0, 1]', () => {
    const [lo0, hi0] = wilsonInterval(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 4);
    const [lo5, hi5] = wilsonInterval(5, 10);
    expect(lo5).toBeCloseTo(0.2366, 4);
    expect(hi5).toBeCloseTo(0.7634, 4);
    expect(wilsonInterval(10, 10)[1]).toBe(1);
    const [lo, hi] = wilsonInterval(1, 400);
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(0.02);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0, 0)).toThrow(RangeError);
  });
});

describe('k folds over the held-out good images', () => {
  it('are disjoint, complete, balanced and the same every time', () => {
    const folds = kFolds(23, 5, 7);
    expect(folds.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    const sizes = folds.map((f) => f.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(kFolds(23, 5, 7)).toEqual(folds);
    expect(kFolds(23, 5, 8)).not.toEqual(folds);
    expect(() => kFolds(3, 4, 1)).toThrow(RangeError);
    expect(() => kFolds(3, 1, 1)).toThrow(RangeError);
  });
});

describe('out-of-sample good-part rates', () => {
  it('counts the good image that defines the normalisation range, which in-sample rates cannot', () => {
    // One good part well above the others: in sample it *is* the 1.0 of the range, so T2 = 1.2
    // fails nothing; scored by a range made without it, it fails.
    const raw = [1, 1.2, 1.1, 1.3, 0.9, 1.05, 1.15, 3];
    const scaled = raw.map((r) => (r - 0.9) / (3 - 0.9));
    const inSample = ratesAt(
      { good: scaled.map((score) => ({ name: '', score })), synthetic: [], defect: [] },
      1.2,
      1.2,
    );
    expect(inSample.falseRejectRate).toBe(0);
    const cv = crossValidateGoodRates(raw, { kind: 'fixed', t1: 1.2, t2: 1.2 });
    expect(cv.note).toBeNull();
    expect(cv.estimate!.falseRejects).toBeGreaterThanOrEqual(1);
    expect(cv.estimate!.images).toBe(8);
    expect(cv.estimate!.folds).toBe(5);
    expect(cv.estimate!.foldFalseRejectRates).toHaveLength(5);
    const [lo, hi] = cv.estimate!.falseRejectInterval;
    expect(lo).toBeLessThanOrEqual(cv.estimate!.falseRejectRate);
    expect(hi).toBeGreaterThan(cv.estimate!.falseRejectRate);
  });

  it('does not depend on the raw score scale (normalisation is re-made per fold)', () => {
    const raw = gaussian(40, 3);
    const a = crossValidateGoodRates(raw, { kind: 'fixed', t1: 0.8, t2: 1 });
    const b = crossValidateGoodRates(
      raw.map((r) => 7 + 3 * r),
      { kind: 'fixed', t1: 0.8, t2: 1 },
    );
    expect(b.estimate!.falseRejects).toBe(a.estimate!.falseRejects);
    expect(b.estimate!.goodReviews).toBe(a.estimate!.goodReviews);
  });

  it('re-runs the suggestion inside each fold and lands near the target on a large sample', () => {
    const raw = gaussian(400, 11);
    const cv = crossValidateGoodRates(raw, {
      kind: 'suggested',
      targetFalseRejectRate: 0.1,
      reviewBudget: 0.1,
    });
    const e = cv.estimate!;
    expect(e.thresholds).toBe('suggested');
    expect(e.falseRejectRate).toBeGreaterThan(0.05);
    expect(e.falseRejectRate).toBeLessThan(0.15);
    expect(e.falseRejectInterval[0]).toBeLessThan(0.1);
    expect(e.falseRejectInterval[1]).toBeGreaterThan(0.1);
    // The review band holds about the review budget.
    expect(e.goodReviewRate).toBeGreaterThan(0.05);
    expect(e.goodReviewRate).toBeLessThan(0.15);
    // In sample, the same rule meets its target exactly, as suggestThreshold guarantees.
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    const t = suggestThresholds(
      raw.map((r) => (r - min) / (max - min)),
      0.1,
      0.1,
    );
    expect(t.t1).toBeLessThanOrEqual(t.t2);
  });

  it('says so instead of guessing when there are too few held-out images', () => {
    expect(crossValidateGoodRates([], { kind: 'fixed', t1: 1, t2: 1 })).toMatchObject({
      estimate: null,
      note: expect.stringMatching(/No held-out good images/),
    });
    const few = crossValidateGoodRates([1, 2].slice(0, MIN_CV_IMAGES - 1), { kind: 'fixed', t1: 1, t2: 1 });
    expect(few.estimate).toBeNull();
    expect(few.note).toMatch(/Only 2 held-out good images/);
    // At the minimum it is leave-one-out.
    const loo = crossValidateGoodRates([1, 2, 3], { kind: 'fixed', t1: 1, t2: 1 });
    expect(loo.estimate!.folds).toBe(3);
  });
});
