// Sanity check of the whole feature path (real converted backbone, preprocessing, aggregation,
// NN search): a defect pasted onto a good image must score highest where it was pasted. Uses
// synthetic images only, so it runs without the shared datasets.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchcoreBackbone } from '../../../src/main/methods/patchcore/backbone';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import { createRng } from '../../../src/main/util/rng';
import { PatchCoreScorer } from '../../../src/main/methods/patchcore/scorer';

const W = 256;
const H = 192; // not square: exercises the whole-frame squash of the default preprocessing

/** Grey brushed-metal-like texture: vertical streaks, a slow shading and pixel noise. */
function goodImage(seed: number): { data: Uint8Array; width: number; height: number; channels: 1 } {
  const rng = createRng(seed);
  const streak = Array.from({ length: W }, () => rng.normal() * 6);
  const phase = rng.next() * Math.PI * 2;
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const shade = 110 + 20 * Math.sin(x / 40 + phase) + 10 * Math.cos(y / 50);
      data[y * W + x] = Math.max(0, Math.min(255, Math.round(shade + streak[x] + rng.normal() * 3)));
    }
  }
  return { data, width: W, height: H, channels: 1 };
}

describe('PatchCore feature sanity', () => {
  it('a pasted defect gets the highest patch score at its location', async () => {
    const backbone = await patchcoreBackbone('mobilenet_v2', {
      cacheDir: join(tmpdir(), 'patchcore-backbones'),
    });
    const model = await fitPatchCore({
      images: Array.from({ length: 12 }, (_, i) => goodImage(100 + i)),
      calibrationImages: [goodImage(99)],
      backbone,
      preset: 'fast',
    });
    const scorer = await PatchCoreScorer.create(model);
    try {
      const good = goodImage(7);
      const bad = { ...good, data: good.data.slice() };
      // A dark crack-like blob centred at (cx, cy) in image pixels.
      const cx = 180;
      const cy = 60;
      for (let y = cy - 6; y <= cy + 6; y++)
        for (let x = cx - 10; x <= cx + 10; x++)
          if (Math.abs(y - cy + (x - cx) * 0.4) < 3) bad.data[y * W + x] = 15;
      const [rg, rb] = await scorer.scoreImages([good, bad]);
      const grid = Math.sqrt(rb.patchScores.length);
      let worst = 0;
      for (let p = 0; p < rb.patchScores.length; p++)
        if (rb.patchScores[p] > rb.patchScores[worst]) worst = p;
      // The whole frame is squashed to the square input: map the defect centre onto the grid.
      const gx = (cx / W) * grid;
      const gy = (cy / H) * grid;
      expect(Math.abs((worst % grid) + 0.5 - gx)).toBeLessThanOrEqual(2);
      expect(Math.abs(Math.floor(worst / grid) + 0.5 - gy)).toBeLessThanOrEqual(2);
      // Clearly above the same image without the defect, there and as an image score.
      expect(rb.patchScores[worst]).toBeGreaterThan(1.5 * rg.patchScores[worst]);
      expect(rb.score).toBeGreaterThan(rg.score);
    } finally {
      await scorer.release();
    }
  }, 120_000);
});
