// evaluateRunner: the loop `station eval` and the methods' bench scripts share (score each test
// image through the runner, rank raw or normalised scores, report each item); evenSubsample.
import { describe, expect, it } from 'vitest';
import type { TestItem } from '../../../src/main/eval/datasets';
import { evaluateRunner, evenSubsample } from '../../../src/main/eval/runner-eval';
import type { ModelOutput, ModelRunner } from '../../../src/main/models/runner';

/** A runner whose score is a function of the path; no map (image-level), as OCR-GAN's. */
function fakeRunner(raw: (path: string) => number): ModelRunner {
  return {
    info: { preprocess: { resize: 0, crop: 8, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB' } },
    score: async (path: string): Promise<ModelOutput> => ({
      rawScore: raw(path),
      // A normalisation that reverses the order: which score is ranked must matter.
      normScore: -raw(path),
      map: null,
      width: 8,
      height: 8,
    }),
  } as unknown as ModelRunner;
}

const tests: TestItem[] = [
  { path: 'good-1', label: 0, defectType: 'good', maskPath: null },
  { path: 'good-2', label: 0, defectType: 'good', maskPath: null },
  { path: 'bad-1', label: 1, defectType: 'crack', maskPath: null },
  { path: 'bad-2', label: 1, defectType: 'crack', maskPath: null },
];
const raw = (p: string) => (p.startsWith('bad') ? 2 : 1) + Number(p.at(-1)) / 10;

describe('evaluateRunner', () => {
  it('ranks the raw or the normalised score as asked, times every image and reports each item', async () => {
    const seen: string[] = [];
    const r = await evaluateRunner(fakeRunner(raw), tests, {
      hasMasks: false,
      score: 'raw',
      onItem: (t, out, i) => seen.push(`${i}:${t.path}:${out.rawScore}`),
    });
    expect(r.metrics.imageAuroc).toBe(1);
    expect(r.metrics.pixel).toBeNull();
    expect([r.metrics.nTestGood, r.metrics.nTestDefect]).toEqual([2, 2]);
    expect(r.latenciesMs).toHaveLength(4);
    expect(seen).toEqual(['0:good-1:1.1', '1:good-2:1.2', '2:bad-1:2.1', '3:bad-2:2.2']);
    const n = await evaluateRunner(fakeRunner(raw), tests, { hasMasks: false, score: 'normalised' });
    expect(n.metrics.imageAuroc).toBe(0);
  });

  it('takes line rates at the given thresholds', async () => {
    const r = await evaluateRunner(fakeRunner(raw), tests, {
      hasMasks: false,
      score: 'raw',
      thresholds: { t1: 1.15, t2: 2.15 },
    });
    expect([r.metrics.rates.t1, r.metrics.rates.t2]).toEqual([1.15, 2.15]);
  });
});

describe('evenSubsample', () => {
  it('takes every k-th item, deterministically, and all of them when asked for as many or more', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(evenSubsample(items, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(evenSubsample(items, 3)).toEqual([0, 3, 6]);
    expect(evenSubsample(items, 10)).toEqual(items);
    expect(evenSubsample(items, 12)).not.toBe(items);
  });
});
