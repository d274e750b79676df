// Two-pair STPM end to end on a tiny generated set: both pairs train (pair 2 on synthetic
// anomalies), the combined package loads through the generic runner and ranks a pasted defect
// above the good image, and the one-pair ablations export the same shape.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitStpm2 } from '../../../src/main/methods/stpm2/fit';
import { exportStpm2 } from '../../../src/main/methods/stpm2/export';
import { loadModelPackage } from '../../../src/main/models/runner';
import { smoothImages, tinyTeacher } from '../../unit/stpm/tiny-teacher';

const S = 32;
const images = smoothImages(10, S, 5);
const tiny = { inputSize: S, epochs: 6, batchSize: 4, featureBatch: 4 };

function withDefect(img: (typeof images)[number]) {
  const data = img.data.slice();
  for (let y = 10; y < 20; y++) for (let x = 12; x < 22; x++) data.set([255, 0, 255], (y * S + x) * 3);
  return { ...img, data };
}

describe('two-pair STPM package', () => {
  it('fits both pairs, exports one graph that the runner scores; a defect scores above the good image', async () => {
    const fitted = await fitStpm2({
      images,
      cacheDir: join(tmpdir(), 'stpm2-unused-cache'),
      teacher: tinyTeacher(S),
      config: { pair1: tiny, pair2: tiny },
    });
    for (const p of [fitted.pair1, fitted.pair2]) {
      expect(p.validationLosses).toHaveLength(6);
      expect(p.validationLosses.at(-1)!).toBeLessThan(p.validationLosses[0]);
    }
    // Pair 2's student is the attention one (its own parameter names).
    expect([...fitted.pair2.weights.keys()].some((k) => k.includes('attention'))).toBe(true);
    expect([...fitted.pair1.weights.keys()].some((k) => k.includes('attention'))).toBe(false);
    expect(fitted.pairScales.every((s) => s > 0)).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'stpm2-pkg-'));
    await exportStpm2(fitted, out, { preset: 'station' });
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.method).toBe('stpm2');
    expect(json.params.pair2.mapScale).toBe(fitted.pairScales[1]);
    const runner = await loadModelPackage(out);
    try {
      const good = await runner.score(images[0]);
      expect([good.width, good.height]).toEqual([S, S]);
      expect(good.rawScore).toBeCloseTo(Math.max(...good.map!), 5);
      const bad = await runner.score(withDefect(images[0]));
      expect(bad.rawScore).toBeGreaterThan(good.rawScore);
    } finally {
      await runner.release();
    }
  });
});
