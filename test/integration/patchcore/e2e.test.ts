// End to end on the shared real datasets: fit (fast preset, subsampled train), export, load the
// package through the generic runner, score a spread subsample of the test split.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchcoreBackbone } from '../../../src/main/methods/patchcore/backbone';
import { auroc, evenSubsample, readMvtecCategory } from '../../../src/main/methods/patchcore/eval';
import { exportPatchCore } from '../../../src/main/methods/patchcore/export';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import { loadModelPackage } from '../../../src/main/models/runner';

const DATA = resolve(__dirname, '../../../../shared/data');

// Floors sit a few points under what this exact setup measured (see the report/benchmarks).
const CASES = [
  { category: 'magnetic_tile', train: 150, test: 160, floor: 0.68 }, // measured 0.706
  // DeepPCB defects are a few pixels at 256 px, below what stride-8 MobileNetV2 features resolve:
  // measured 0.535 (0.589 with the accurate preset); the floor only guards against a broken pipeline.
  { category: 'deeppcb', train: 150, test: 160, floor: 0.5 },
];

for (const c of CASES) {
  const present = existsSync(join(DATA, c.category, 'train', 'good'));
  if (!present)
    console.warn(
      `[patchcore e2e] skipping ${c.category}: ${join(DATA, c.category)} not found (shared datasets absent)`,
    );
  describe.skipIf(!present)(`PatchCore end to end on ${c.category}`, () => {
    it(`fits ${c.train} good images and separates defects (image AUROC ≥ ${c.floor})`, async () => {
      const cat = readMvtecCategory(DATA, c.category)!;
      const backbone = await patchcoreBackbone('mobilenet_v2', {
        cacheDir: join(tmpdir(), 'patchcore-backbones'),
      });
      // resize 0: squash the whole frame to 224 px; the paper's resize-256 + centre-crop cuts off
      // most of the elongated magnetic tiles (and the PCB border) and measured far worse.
      const model = await fitPatchCore({
        images: evenSubsample(cat.train, c.train),
        backbone,
        preset: 'fast',
        preprocess: { resize: 0 },
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
      const value = auroc(
        scores,
        test.map((t) => t.label),
      );
      console.log(
        `[patchcore e2e] ${c.category}: image AUROC ${value.toFixed(4)} on ${test.length} test images, bank ${model.bank.length / model.dim}`,
      );
      expect(value).toBeGreaterThanOrEqual(c.floor);
    }, 240_000);
  });
}
