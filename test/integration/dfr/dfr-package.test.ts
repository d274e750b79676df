// DFR through the worker job on real images: progress, cancel + resume from the checkpoint, and a
// package that the generic runner (the live loop's path) loads and scores.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobCancelledError } from '../../../src/main/jobs/worker-job';
import { startDfrFit, type DfrFitJobData } from '../../../src/main/methods/dfr/fit-job';
import type { DfrProgress } from '../../../src/main/methods/dfr/types';
import { loadModelPackage } from '../../../src/main/models/runner';

const DATA = resolve(__dirname, '../../../../shared/data/magnetic_tile');
const present = existsSync(join(DATA, 'train', 'good'));
if (!present) console.warn(`[dfr] skipping: ${DATA} not found (shared datasets absent)`);

const goodImages = (n: number): string[] =>
  readdirSync(join(DATA, 'train', 'good'))
    .sort()
    .slice(0, n)
    .map((f) => join(DATA, 'train', 'good', f));

const CACHE = join(tmpdir(), 'dfr-test-cache');

// Tiny training (a few hundred locations, a handful of steps): this checks the plumbing, not AUROC.
const tiny = (outDir: string, epochs: number): DfrFitJobData => ({
  images: goodImages(8),
  cacheDir: CACHE,
  outDir,
  config: {
    epochs,
    rowsPerImage: 96,
    batchRows: 192,
    maxRows: 100_000,
    lr: 1e-3,
    calibrationFraction: 0.25,
    featureBatch: 4,
  },
});

describe.skipIf(!present)('DFR package via the worker job', () => {
  it('fits, exports, and loads through loadModelPackage; scores have the contract shapes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dfr-pkg-'));
    const progress: DfrProgress[] = [];
    const result = await startDfrFit(tiny(out, 2), (p) => progress.push(p)).result;
    const stages = new Set(progress.map((p) => p.stage));
    for (const s of ['features', 'pca', 'train', 'calibrate', 'export'] as const)
      expect(stages.has(s), s).toBe(true);
    const lastTrain = progress.filter((p) => p.stage === 'train').at(-1)!;
    expect(lastTrain.done).toBe(lastTrain.total);
    expect(lastTrain.epochs).toBe(2);
    expect(Number.isFinite(lastTrain.loss)).toBe(true);
    expect(result.epochLosses).toHaveLength(2);
    expect(existsSync(join(out, '.dfr-train.ckpt'))).toBe(false); // removed after export

    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.method).toBe('dfr');
    expect(json.params.channels).toBe(816);
    expect(json.backbone.taps.map((t: { stride: number }) => t.stride)).toEqual([2, 4, 8, 16]);
    const runner = await loadModelPackage(out);
    try {
      expect(runner.info.method).toBe('dfr');
      expect([runner.info.width, runner.info.height]).toEqual([256, 256]);
      const held = readdirSync(join(DATA, 'test', 'crack')).sort()[0];
      const [good, bad] = await runner.scoreBatch([goodImages(9)[8], join(DATA, 'test', 'crack', held)]);
      for (const o of [good, bad]) {
        if (!o.map) throw new Error('DFR package returned no map');
        expect(o.map.length).toBe(256 * 256);
        expect(Number.isFinite(o.rawScore)).toBe(true);
        // pred_score is the max of the map
        let mx = -Infinity;
        for (const v of o.map) mx = Math.max(mx, v);
        expect(o.rawScore).toBeCloseTo(mx, 5);
        expect(o.normScore).toBeCloseTo(
          (o.rawScore - json.normalisation.min) / (json.normalisation.max - json.normalisation.min),
          5,
        );
      }
    } finally {
      await runner.release();
    }
  });

  it('cancel keeps a checkpoint; the same job then resumes from it and completes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dfr-resume-'));
    const data = tiny(out, 30);
    let cancelledAt = 0;
    const job = startDfrFit(data, (p) => {
      if (p.stage === 'train' && p.done > 0 && !cancelledAt) {
        cancelledAt = p.done;
        job.cancel();
      }
    });
    await expect(job.result).rejects.toBeInstanceOf(JobCancelledError);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(existsSync(join(out, '.dfr-train.ckpt'))).toBe(true);
    const train: DfrProgress[] = [];
    const result = await startDfrFit(data, (p) => p.stage === 'train' && train.push(p)).result;
    // Resumed: the first report is already past the step at which the first run was cancelled.
    expect(train[0].done).toBeGreaterThan(cancelledAt);
    expect(train.at(-1)!.done).toBe(train.at(-1)!.total);
    expect(result.epochLosses.length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  });
});
