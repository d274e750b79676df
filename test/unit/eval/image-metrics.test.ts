import { describe, expect, it } from 'vitest';
import {
  f1Max,
  imageAuroc,
  latencyStats,
  lineRates,
  nextUp,
  suggestThreshold,
  verdictFor,
} from '../../../src/main/eval/metrics';
import { gauss, rng } from './helpers';

/** O(P·N) definition of AUROC: P(pos > neg) + ½ P(pos = neg). */
function bruteAuroc(s: ArrayLike<number>, l: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < s.length; i++) {
    if (l[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (l[j] !== 0) continue;
      den++;
      num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / den;
}

/** F1 at every candidate threshold (score >= t), maximised by brute force. */
function bruteF1(s: ArrayLike<number>, l: ArrayLike<number>): { f1: number; t: number } {
  let best = { f1: -1, t: NaN };
  const cands = [...new Set(Array.from(s))].sort((a, b) => b - a);
  for (const t of cands) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < s.length; i++) {
      const pred = s[i] >= t;
      if (pred && l[i] === 1) tp++;
      else if (pred) fp++;
      else if (l[i] === 1) fn++;
    }
    const f1 = (2 * tp) / (2 * tp + fp + fn);
    if (f1 > best.f1) best = { f1, t };
  }
  return best;
}

function randomScores(seed: number, n: number, quantize: number | null): { s: Float32Array; l: Uint8Array } {
  const r = rng(seed);
  const s = new Float32Array(n);
  const l = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    l[i] = r.next() < 0.4 ? 1 : 0;
    let v = gauss(r) + (l[i] ? 1.2 : 0);
    if (quantize) v = Math.round(v * quantize) / quantize;
    s[i] = v;
  }
  return { s, l };
}

describe('imageAuroc', () => {
  it('matches hand-computed values', () => {
    expect(imageAuroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(imageAuroc([0.1, 0.2, 0.3], [0, 1, 1])).toBe(1);
    expect(imageAuroc([0.1, 0.2, 0.3], [1, 0, 0])).toBe(0);
  });

  it('counts ties as one half', () => {
    expect(imageAuroc([1, 1], [0, 1])).toBe(0.5);
    // (pos .5 vs neg .5) = ½, (pos .7 vs neg .5) = 1 → 0.75
    expect(imageAuroc([0.5, 0.5, 0.7], [0, 1, 1])).toBe(0.75);
    expect(imageAuroc(new Float32Array(10).fill(3), [0, 1, 0, 1, 0, 1, 0, 1, 1, 1])).toBe(0.5);
  });

  it('equals the pairwise definition on random data with and without ties', () => {
    for (const [seed, q] of [
      [1, null],
      [2, 4],
      [3, 1],
    ] as const) {
      const { s, l } = randomScores(seed, 400, q);
      expect(imageAuroc(s, l)).toBeCloseTo(bruteAuroc(s, l), 12);
    }
  });

  it('returns NaN for single-class input and throws on malformed input', () => {
    expect(imageAuroc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(imageAuroc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(imageAuroc([], [])).toBeNaN();
    expect(() => imageAuroc([0.1], [0, 1])).toThrow(/length/);
    expect(() => imageAuroc([NaN, 1], [0, 1])).toThrow(/NaN/);
    expect(() => imageAuroc([0, 1], [0, 2])).toThrow(/label/);
  });
});

describe('f1Max', () => {
  it('matches a hand-computed case', () => {
    // t=.8: 2/3; t=.4: 1/2; t=.35: 4/5; t=.1: 2/3
    const r = f1Max([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(r.f1).toBeCloseTo(0.8, 12);
    expect(r.threshold).toBeCloseTo(0.35, 12);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBe(1);
  });

  it('never splits a tie group', () => {
    // Splitting the 0.5 tie with the positive first would give F1 = 1.
    const r = f1Max([0.5, 0.5, 0.9], [0, 1, 1]);
    expect(r.f1).toBeCloseTo(0.8, 12);
    expect(r.threshold).toBe(0.5);
    const eq = f1Max([2, 2, 2, 2], [0, 1, 0, 1]);
    expect(eq.f1).toBeCloseTo(2 / 3, 12); // everything predicted defective
    expect(eq.threshold).toBe(2);
  });

  it('prefers the highest threshold among equal F1 (fewest rejects)', () => {
    // t=.9: tp1 fp0 fn1 → 2/3; t=.3: tp2 fp2 fn0 → 4/6 = 2/3 as well.
    const r = f1Max([0.9, 0.5, 0.4, 0.3], [1, 0, 0, 1]);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.threshold).toBe(0.9);
  });

  it('equals brute force on random data', () => {
    for (const [seed, q] of [
      [4, null],
      [5, 2],
    ] as const) {
      const { s, l } = randomScores(seed, 300, q);
      const b = bruteF1(s, l);
      const r = f1Max(s, l);
      expect(r.f1).toBeCloseTo(b.f1, 12);
      expect(r.threshold).toBe(b.t);
    }
  });

  it('is NaN without positives and 1 with positives only', () => {
    expect(f1Max([0.1, 0.2], [0, 0]).f1).toBeNaN();
    const p = f1Max([0.3, 0.2], [1, 1]);
    expect(p.f1).toBe(1);
    expect(p.threshold).toBe(0.2);
  });
});

describe('verdicts and line rates', () => {
  it('uses PASS < T1 <= REVIEW < T2 <= FAIL', () => {
    expect(verdictFor(0.29, 0.3, 0.6)).toBe('PASS');
    expect(verdictFor(0.3, 0.3, 0.6)).toBe('REVIEW');
    expect(verdictFor(0.59, 0.3, 0.6)).toBe('REVIEW');
    expect(verdictFor(0.6, 0.3, 0.6)).toBe('FAIL');
    expect(verdictFor(0.5, 0.5)).toBe('FAIL');
  });

  it('counts false rejects, escapes and REVIEW separately', () => {
    const scores = [0.1, 0.2, 0.45, 0.7, 0.9, /* defects */ 0.05, 0.4, 0.5, 0.8];
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1];
    const r = lineRates(scores, labels, 0.3, 0.6);
    expect(r.nGood).toBe(5);
    expect(r.nDefect).toBe(4);
    expect(r.falseRejectRate).toBeCloseTo(2 / 5, 12); // .7 .9
    expect(r.goodReviewRate).toBeCloseTo(1 / 5, 12); // .45
    expect(r.escapeRate).toBeCloseTo(1 / 4, 12); // .05
    expect(r.defectReviewRate).toBeCloseTo(2 / 4, 12); // .4 .5
    const single = lineRates(scores, labels, 0.45);
    expect(single.falseRejectRate).toBeCloseTo(3 / 5, 12); // .45 .7 .9 (>= T)
    expect(single.escapeRate).toBeCloseTo(2 / 4, 12); // .05 .4
    expect(single.goodReviewRate).toBe(0);
  });

  it('reports NaN for an absent class and rejects T1 > T2', () => {
    const r = lineRates([0.1, 0.9], [0, 0], 0.5);
    expect(r.escapeRate).toBeNaN();
    expect(r.falseRejectRate).toBe(0.5);
    expect(() => lineRates([0.1], [0], 0.6, 0.3)).toThrow(/T1 <= T2/);
  });
});

describe('suggestThreshold', () => {
  it('takes the quantile halfway to the next good score', () => {
    const r = rng(9);
    const scores = Array.from({ length: 100 }, (_, i) => i + 1);
    for (let i = scores.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [scores[i], scores[j]] = [scores[j], scores[i]];
    }
    const s = suggestThreshold(scores, 0.05);
    expect(s.threshold).toBe(95.5);
    expect(s.achievedFalseRejectRate).toBe(0.05);
    expect(suggestThreshold(scores, 0.1).threshold).toBe(90.5);
  });

  it('never splits ties and handles target 0 and all-equal scores', () => {
    const t = suggestThreshold([1, 2, 3, 3, 3, 3], 0.2);
    expect(t.threshold).toBe(nextUp(3));
    expect(t.achievedFalseRejectRate).toBe(0);
    const z = suggestThreshold([0.2, 0.9, 0.4], 0);
    expect(z.threshold).toBeGreaterThan(0.9);
    expect(z.threshold).toBe(nextUp(0.9));
    const eq = suggestThreshold([5, 5, 5], 0.5);
    expect(eq.threshold).toBeGreaterThan(5);
    expect(eq.achievedFalseRejectRate).toBe(0);
  });

  it('meets the target and is the tightest such threshold on random data', () => {
    for (const seed of [11, 12, 13]) {
      const r = rng(seed);
      const good = Float32Array.from({ length: 257 }, () => Math.round(gauss(r) * 20) / 20);
      for (const target of [0, 0.01, 0.05, 0.2]) {
        const s = suggestThreshold(good, target);
        let rejects = 0;
        let highestPassing = -Infinity;
        for (const v of good) {
          if (v >= s.threshold) rejects++;
          else highestPassing = Math.max(highestPassing, v);
        }
        expect(rejects / good.length).toBe(s.achievedFalseRejectRate);
        expect(s.achievedFalseRejectRate).toBeLessThanOrEqual(target);
        // Moving the threshold down to the highest passing score would exceed the target.
        let moreRejects = 0;
        for (const v of good) if (v >= highestPassing) moreRejects++;
        expect(moreRejects / good.length).toBeGreaterThan(target);
      }
    }
  });

  it('rejects empty input and bad targets', () => {
    expect(() => suggestThreshold([], 0.1)).toThrow(/at least one/);
    expect(() => suggestThreshold([1], 1)).toThrow(/target/);
    expect(() => suggestThreshold([1], -0.1)).toThrow(/target/);
  });
});

describe('latencyStats', () => {
  it('gives mean and nearest-rank p95', () => {
    const ms = Array.from({ length: 20 }, (_, i) => 20 - i); // 1..20 reversed
    const s = latencyStats(ms);
    expect(s.mean).toBe(10.5);
    expect(s.p95).toBe(19);
    expect(s.max).toBe(20);
    expect(latencyStats([]).mean).toBeNaN();
  });
});
