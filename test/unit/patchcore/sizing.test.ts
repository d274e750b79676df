import { describe, expect, it } from 'vitest';
import { MAX_BANK_RATIO, planBank } from '../../../src/main/methods/patchcore/sizing';
import { resolveConfig } from '../../../src/main/methods/patchcore/types';

const PATCHES_PER_IMAGE = 28 * 28; // MobileNetV2 at 224 px, stride 8

describe('PatchCore bank sizing', () => {
  const fast = resolveConfig('fast');

  it('gives small training sets the accurate preset’s 10 % instead of 1 %', () => {
    const n = 36 * PATCHES_PER_IMAGE;
    const plan = planBank(n, fast.reduceDim, fast);
    expect(plan.rows).toBe(Math.floor(n * MAX_BANK_RATIO));
    expect(plan.limitedBy).toBe('ratio');
    expect(plan.rows).toBeGreaterThan(n * fast.coresetRatio * 5);
  });

  it('caps large training sets at the scoring budget, whatever their size', () => {
    for (const images of [200, 1000, 5000]) {
      const plan = planBank(images * PATCHES_PER_IMAGE, fast.reduceDim, fast);
      expect(plan.rows * fast.reduceDim).toBeLessThanOrEqual(fast.bankBudget);
      expect(plan.rows).toBe(Math.floor(fast.bankBudget / fast.reduceDim));
      expect(plan.limitedBy).toBe('budget');
    }
  });

  it('spends the same budget on fewer rows when the features are wider', () => {
    const n = 1000 * PATCHES_PER_IMAGE;
    expect(planBank(n, 576, fast).rows).toBe(Math.floor(fast.bankBudget / 576));
  });

  it('keeps the fixed ratio of presets without a budget', () => {
    const accurate = resolveConfig('accurate');
    expect(accurate.bankBudget).toBe(0);
    expect(planBank(10_000, 576, accurate)).toEqual({ rows: 1000, ratio: 0.1, limitedBy: 'ratio' });
    expect(planBank(5, 576, accurate).rows).toBe(1);
  });

  it('rejects an empty training set and a non-positive dimension', () => {
    expect(() => planBank(0, 128, fast)).toThrow(/at least one training patch/);
    expect(() => planBank(100, 0, fast)).toThrow(/positive feature dimension/);
  });
});
