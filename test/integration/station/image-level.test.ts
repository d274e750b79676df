// An image-level model package (model.json `outputs.map: null`, graph output `pred_score` only, as
// OCR-GAN exports) through the runner and the live loop: scores and verdicts as usual, no heatmap
// invented anywhere (result event, stored files, rows).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoPaths } from '../../../src/main/demo';
import { readHeatmapFit } from '../../../src/main/model-store/heatmap-fit';
import { loadModelPackage, ModelPackageError } from '../../../src/main/models/runner';
import type { ResultSnapshot } from '../../../src/main/station';
import { InspectionRepository } from '../../../src/main/storage';
import { stationEnv, tempDir, tinyDemo, until, withoutMap } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let demo: DemoPaths;
let imageLevelDir: string;

beforeAll(async () => {
  tmp = tempDir('station-image-level');
  demo = await tinyDemo(join(tmp.dir, 'data'));
  imageLevelDir = join(tmp.dir, 'image-level');
  withoutMap(demo.modelDir, imageLevelDir, false);
});

afterAll(() => tmp.cleanup());

describe('image-level model package', () => {
  it('loads through the runner and scores like the full package, returning no map', async () => {
    const full = await loadModelPackage(demo.modelDir, { intraOpNumThreads: 1 });
    const only = await loadModelPackage(imageLevelDir, { intraOpNumThreads: 1 });
    try {
      expect(only.info.mapOutput).toBeNull();
      const frame = join(demo.lineDir, demo.manifest.line[0].file);
      const [a, b] = [await full.score(frame), await only.score(frame)];
      expect(b.map).toBeNull();
      expect(b.rawScore).toBeCloseTo(a.rawScore, 5);
      expect(b.normScore).toBeCloseTo(a.normScore, 5);
    } finally {
      await full.release();
      await only.release();
    }
    expect(readHeatmapFit(imageLevelDir)?.imageLevel).toBe(true);
    expect(readHeatmapFit(demo.modelDir)?.imageLevel).toBeUndefined();
  });

  it('refuses a package that declares a map its graph does not output', async () => {
    const dir = join(tmp.dir, 'lying');
    withoutMap(demo.modelDir, dir, true);
    await expect(loadModelPackage(dir)).rejects.toThrow(ModelPackageError);
    await expect(loadModelPackage(dir)).rejects.toThrow(/no output 'anomaly_map'/);
  });

  it('runs the live loop: verdicts logged, images kept, no heatmap sent or stored', async () => {
    const env = await stationEnv(join(tmp.dir, 'run'));
    await env.station.loadModel(imageLevelDir);
    // Everything FAIL so every frame's evidence is kept (nothing sampled out).
    env.station.setThresholds({ t1: -1e9, t2: -1e9 }, 'qa.engineer', 'keep every frame');
    const frames = demo.manifest.line.length;
    await env.station.start({ kind: 'replay', folder: demo.lineDir, fps: 0, loop: false });
    await until(() => env.station.stats().framesInspected >= frames, `${frames} frames`);
    await env.station.stop();
    await until(() => env.station.stats().rowsLogged >= frames, 'rows logged');

    const results = env.of('station.result') as ResultSnapshot[];
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.heatmap).toBeNull();
      expect(r.verdict).toBe('FAIL');
      expect(r.image.jpegBase64.length).toBeGreaterThan(0);
    }
    const rows = new InspectionRepository(env.db).page({}, { limit: 100 }).rows;
    expect(rows).toHaveLength(frames);
    for (const row of rows) {
      expect(row.imageRef).toBeTruthy();
      expect(row.heatmapRef).toBeNull();
      expect(row.storeError).toBeNull();
    }
    await env.close();
  });
});
