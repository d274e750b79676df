import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIT_WORKER_ENTRY, startPatchCoreFit } from '../../../src/main/methods/patchcore/fit-job';
import type { FitProgress } from '../../../src/main/methods/patchcore/types';
import { JobCancelledError, resolveWorkerEntry } from '../../../src/main/jobs/worker-job';
import { loadModelPackage } from '../../../src/main/models/runner';
import { tempDir, tinyBackbone, writeImages } from './helpers';

let dir: string;
let good: string[];
beforeAll(async () => {
  dir = tempDir('patchcore-job');
  good = await writeImages(dir, 24, 3);
});

describe('PatchCore fit in a worker thread', () => {
  it('resolves the TypeScript entry under tsx when no bundle is present', () => {
    const r = resolveWorkerEntry(FIT_WORKER_ENTRY);
    expect(r.file.endsWith('fit.worker.ts')).toBe(true);
    expect(r.mode).toBe('source');
    expect(r.eval).toBe(true);
    expect(r.script).toContain('tsx');
    expect(() => resolveWorkerEntry({ name: 'nope', source: join(dir, 'missing.ts') })).toThrow(/not found/);
  });

  it('prefers the bundled .js beside the bundle', () => {
    const bundleDir = join(dir, 'out-main');
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(join(bundleDir, 'patchcore-fit-worker.js'), '');
    const r = resolveWorkerEntry(FIT_WORKER_ENTRY, bundleDir);
    expect(r).toMatchObject({
      mode: 'bundle',
      eval: false,
      file: join(bundleDir, 'patchcore-fit-worker.js'),
    });
  });

  it('reports progress per stage and writes a loadable package', async () => {
    const events: FitProgress[] = [];
    const outDir = join(dir, 'pkg');
    const job = startPatchCoreFit(
      {
        images: good,
        backbone: tinyBackbone(),
        config: { coresetRatio: 0.25, batchSize: 4, reduceDim: 4 },
        outDir,
      },
      (p) => events.push(p),
    );
    const result = await job.result;
    expect(result.dir).toBe(outDir);
    expect(existsSync(join(outDir, 'model.onnx'))).toBe(true);
    const stages = [...new Set(events.map((e) => e.stage))];
    expect(stages).toEqual(['reduction', 'features', 'coreset', 'calibrate', 'export']);
    for (const e of events) {
      expect(e.done).toBeLessThanOrEqual(e.total);
      if (e.etaMs !== null) expect(e.etaMs).toBeGreaterThanOrEqual(0);
    }
    for (const stage of ['reduction', 'features'] as const) {
      const seen = events.filter((e) => e.stage === stage);
      expect(seen[0]).toMatchObject({ done: 0 });
      expect(seen.at(-1)).toMatchObject({ done: seen[0].total });
    }
    const runner = await loadModelPackage(outDir);
    expect(runner.info.meta?.params.bankSize).toBe(result.modelJson.params.bankSize);
    const [score] = await runner.scoreBatch([good[0]]);
    expect(Number.isFinite(score.rawScore)).toBe(true);
    await runner.release();
  });

  it('can be cancelled mid-fit', async () => {
    // Ratio 1 on many patches makes the coreset loop long enough to be caught inside.
    const many = [...good, ...good, ...good, ...good, ...good, ...good, ...good, ...good];
    let cancelledAt: FitProgress | null = null;
    const job = startPatchCoreFit(
      {
        images: many,
        backbone: tinyBackbone(),
        config: { coresetRatio: 1, calibrationFraction: 0 },
        outDir: join(dir, 'cancelled'),
      },
      (p) => {
        if (p.stage === 'coreset' && p.done > 0 && !cancelledAt) {
          cancelledAt = p;
          job.cancel();
        }
      },
    );
    await expect(job.result).rejects.toBeInstanceOf(JobCancelledError);
    expect(cancelledAt).not.toBeNull();
    expect(existsSync(join(dir, 'cancelled', 'model.onnx'))).toBe(false);
  });

  it('surfaces errors from the worker', async () => {
    const job = startPatchCoreFit({
      images: [join(dir, 'does-not-exist.png')],
      backbone: tinyBackbone(),
      outDir: join(dir, 'err'),
    });
    await expect(job.result).rejects.toThrow(/Cannot decode/);
  });
});
