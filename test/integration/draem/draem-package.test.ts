// DRAEM through the worker job on generated images (no shared data needed): progress stages, a
// package that the generic runner (the live loop's path) loads, and the exported score equal to
// the max of the mean-filtered map.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { startDraemFit } from '../../../src/main/methods/draem/fit-job';
import type { DraemProgress } from '../../../src/main/methods/draem/types';
import { loadModelPackage } from '../../../src/main/models/runner';
import { drawTexture } from '../../../src/main/synthetic';
import { createRng } from '../../../src/main/util/rng';

async function writeImages(dir: string, n: number, size: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = drawTexture(createRng(100 + i), size, size, { kinds: ['stripes'] });
    const p = join(dir, `good_${i}.png`);
    await sharp(Buffer.from(t.data), { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(p);
    paths.push(p);
  }
  return paths;
}

/** k×k mean filter (zero padding counted) then max, as the exported graph's pred_score. */
function filteredMax(map: Float32Array, s: number, k: number): number {
  const r = Math.floor(k / 2);
  let best = -Infinity;
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++) {
      let acc = 0;
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && xx >= 0 && yy < s && xx < s) acc += map[yy * s + xx];
        }
      best = Math.max(best, acc / (k * k));
    }
  return best;
}

describe('DRAEM package via the worker job', () => {
  it('fits, exports, loads through loadModelPackage; score = max of the filtered map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draem-imgs-'));
    const images = await writeImages(dir, 6, 48);
    const out = mkdtempSync(join(tmpdir(), 'draem-pkg-'));
    const progress: DraemProgress[] = [];
    const result = await startDraemFit(
      {
        images: images.slice(0, 4),
        calibrationImages: images.slice(4),
        preset: 'station',
        config: { inputSize: 32, recBase: 4, discBase: 2, batch: 2, trainSamples: 8, scoreFilter: 3 },
        outDir: out,
      },
      (p) => progress.push(p),
    ).result;
    const stages = new Set(progress.map((p) => p.stage));
    for (const s of ['load', 'train', 'calibrate', 'export'] as const) expect(stages.has(s), s).toBe(true);
    expect(result.epochLosses).toHaveLength(2); // 8 samples = 2 epochs of 2 steps × 2 images
    expect(existsSync(join(out, '.draem-train.ckpt'))).toBe(false);

    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.method).toBe('draem');
    expect(json.input).toMatchObject({ width: 32, height: 32, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(json.deviations.join('; ')).toContain('score mean filter 3×3');
    expect(json.deviations.join('; ')).toContain('instead of DTD');
    expect(json.training).toMatchObject({
      imageCount: 4,
      calibrationCount: 2,
      calibrationSource: 'held-out',
    });
    const runner = await loadModelPackage(out);
    try {
      expect(runner.info.method).toBe('draem');
      const outs = await runner.scoreBatch(images.slice(4));
      for (const o of outs) {
        const map = o.map!;
        expect(map.length).toBe(32 * 32);
        for (const v of map) expect(v >= 0 && v <= 1).toBe(true);
        expect(o.rawScore).toBeCloseTo(filteredMax(map, 32, 3), 5);
      }
    } finally {
      await runner.release();
    }
  }, 240_000);
});
