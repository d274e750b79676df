// End to end on the shared real datasets: fit (fast preset, subsampled train), export, load the
// package through the generic runner, score a spread subsample of the test split.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMvtecCategory } from '../../../src/main/eval/datasets';
import { imageAuroc } from '../../../src/main/eval/metrics';
import { patchcoreBackbone } from '../../../src/main/methods/patchcore/backbone';
import { evenSubsample } from '../../../src/main/eval/runner-eval';
import { exportPatchCore } from '../../../src/main/methods/patchcore/export';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import type { PresetName } from '../../../src/main/methods/patchcore/types';
import { loadModelPackage } from '../../../src/main/models/runner';

const DATA = resolve(__dirname, '../../../../shared/data');

// Floors sit a few points under what this exact setup measured (seeded, so a drop is a regression).
// Before the input-range and whole-frame fixes the same setup measured 0.706 / 0.535.
const CASES: Array<{ category: string; preset: PresetName; train: number; test: number; floor: number }> = [
  { category: 'magnetic_tile', preset: 'fast', train: 150, test: 160, floor: 0.82 }, // measured 0.848
  // DeepPCB defects are a few pixels at 256 px: stride-8 cells of a 224-px input blur them away
  // (fast measured 0.553); the 448-px 'fine' preset resolves them (measured 0.703).
  { category: 'deeppcb', preset: 'fast', train: 150, test: 160, floor: 0.52 },
  { category: 'deeppcb', preset: 'fine', train: 150, test: 160, floor: 0.67 },
];

for (const c of CASES) {
  const present = existsSync(join(DATA, c.category, 'train', 'good'));
  if (!present)
    console.warn(
      `[patchcore e2e] skipping ${c.category}: ${join(DATA, c.category)} not found (shared datasets absent)`,
    );
  describe.skipIf(!present)(`PatchCore end to end on ${c.category} (${c.preset})`, () => {
    it(`${c.preset}: fits ${c.train} good images and separates defects (image AUROC ≥ ${c.floor})`, async () => {
      const cat = await readMvtecCategory(join(DATA, c.category));
      // Default preprocessing: the whole frame squashed to the input, [0, 1] input range.
      const backbone = await patchcoreBackbone('mobilenet_v2', {
        cacheDir: join(tmpdir(), 'patchcore-backbones'),
        preset: c.preset,
      });
      const model = await fitPatchCore({
        images: evenSubsample(cat.train, c.train),
        backbone,
        preset: c.preset,
      });
      const dir = mkdtempSync(join(tmpdir(), `patchcore-e2e-${c.category}-`));
      await exportPatchCore(model, dir);
      const runner = await loadModelPackage(dir);
      const test = evenSubsample(cat.test, c.test);
      const scores: number[] = [];
      for (let i = 0; i < test.length; i += 8)
        scores.push(
          ...(await runner.scoreBatch(test.slice(i, i + 8).map((t) => t.path))).map((o) => o.rawScore),
        );
      await runner.release();
      const value = imageAuroc(
        scores,
        test.map((t) => t.label),
      );
      console.log(
        `[patchcore e2e] ${c.category} ${c.preset}: image AUROC ${value.toFixed(4)} on ${test.length} test images, bank ${model.bank.length / model.dim}`,
      );
      expect(value).toBeGreaterThanOrEqual(c.floor);
    }, 400_000); // the fine preset fits at 448 px: ~70 s alone, more on a shared machine
  });
}
