// What a PatchCore package says about how it was fitted: the preset by name, and the rule that
// sized its bank (a scoring budget records the share it actually kept, not the 1 % it never used).
import { beforeAll, describe, expect, it } from 'vitest';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import { buildModelJson } from '../../../src/main/methods/patchcore/export';
import { packagePreset } from '../../../src/main/methods/registry';
import { tempDir, tinyBackbone, writeImages } from './helpers';

let good: string[];
beforeAll(async () => {
  good = await writeImages(tempDir('patchcore-record'), 12, 5);
});

describe('PatchCore package record', () => {
  it('names the preset and the budget that sized the bank', async () => {
    const model = await fitPatchCore({
      images: good,
      backbone: tinyBackbone(),
      preset: 'accurate',
      config: { bankBudget: 10 * 8, reduceDim: 8, calibrationFraction: 0.25 },
    });
    const json = buildModelJson(model, { chunks: 1, chunkSize: 4096 });
    const rows = model.bank.length / model.dim;
    expect(rows).toBe(10);
    expect(json.params).toMatchObject({
      preset: 'accurate',
      bankRule: 'budget',
      bankBudget: 80,
      bankSize: 10,
      coresetRatio: rows / model.patchCount,
    });
    expect(json.deviations.join('\n')).toMatch(
      new RegExp(`bank sized by a scoring budget: 10 rows \\(.* of ${model.patchCount} patches`),
    );
    expect(json.deviations.join('\n')).not.toMatch(/coreset ratio/);
    expect(packagePreset(json)).toBe('accurate');
  });

  it('records the ratio rule as such', async () => {
    const model = await fitPatchCore({
      images: good,
      backbone: tinyBackbone(),
      config: { coresetRatio: 0.25, calibrationFraction: 0.25 },
    });
    const json = buildModelJson(model, { chunks: 1, chunkSize: 4096 });
    expect(json.params).toMatchObject({ bankRule: 'ratio', coresetRatio: 0.25 });
    expect(json.params.preset).toBeUndefined();
    expect(json.deviations.join('\n')).toMatch(/coreset ratio 0.25: \d+ rows \(paper: 0.1\)/);
  });

  it('projects onto the principal axes of the fitted patches and records how', async () => {
    const model = await fitPatchCore({
      images: good,
      backbone: tinyBackbone(),
      preset: 'fast',
      config: { reduceDim: 4, calibrationFraction: 0.25 },
    });
    const json = buildModelJson(model, { chunks: 1, chunkSize: 4096 });
    // 9 fitted images of a 4×4 grid: all of them make the sample (far under PCA_SAMPLE_PATCHES).
    expect(json.params.reduction).toMatchObject({ kind: 'pca', dim: 4, sampleImages: 9, samplePatches: 144 });
    const explained = (json.params.reduction as { explained: number }).explained;
    // Four of the tiny backbone's 11 dimensions: the top axes keep more than a random 4/11.
    expect(explained).toBeGreaterThan(4 / 11);
    expect(explained).toBeLessThanOrEqual(1);
    expect(json.deviations.join('\n')).toMatch(
      /projected onto their 4 principal axes \(\d+(\.\d)? % of the variance of 144 training patches\)/,
    );
    // Orthonormal columns: distances inside the kept subspace are unchanged.
    const m = model.reduction!;
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let dot = 0;
        for (let i = 0; i < 11; i++) dot += m[i * 4 + a] * m[i * 4 + b];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
      }

    const gaussian = await fitPatchCore({
      images: good,
      backbone: tinyBackbone(),
      preset: 'fast',
      config: { reduceDim: 4, reduceBasis: 'gaussian', calibrationFraction: 0.25 },
    });
    const gj = buildModelJson(gaussian, { chunks: 1, chunkSize: 4096 });
    expect(gj.params.reduction).toEqual({ kind: 'gaussian-random', dim: 4, seed: 1 });
    expect(gj.deviations.join('\n')).toMatch(/fixed seeded Gaussian map/);
  });

  it('tells fine from fast in packages from before params.preset', () => {
    const legacy = (width: number) => ({
      method: 'patchcore',
      backbone: { id: 'mobilenet_v2', taps: [] },
      input: { width },
      params: { coresetRatio: 0.01, reduction: { kind: 'gaussian-random', dim: 128 } },
    });
    expect(packagePreset(legacy(224) as never)).toBe('fast');
    expect(packagePreset(legacy(448) as never)).toBe('fine');
  });
});
