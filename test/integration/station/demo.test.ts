// The demo line: deterministic generated images, a cached PatchCore model, and (with the real
// MobileNetV2 backbone) a line the station judges correctly out of the box.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemo, startDemoLine, type DemoProgress } from '../../../src/main/demo';
import { InspectionRepository } from '../../../src/main/storage';
import { stationEnv, tempDir, tinyDemo, until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('station-demo');
});
afterAll(() => tmp.cleanup());

const hashDir = (dir: string, files: string[]): string[] =>
  files.map((f) =>
    createHash('sha256')
      .update(readFileSync(join(dir, f)))
      .digest('hex'),
  );

describe('demo set and model cache (tiny backbone)', () => {
  it('generates the same images everywhere, reuses them and the model on the second start', async () => {
    const a = await tinyDemo(join(tmp.dir, 'a'));
    expect(a.cached).toBe(false);
    expect(a.manifest.train).toHaveLength(16);
    expect(a.manifest.line).toHaveLength(12);
    expect(a.manifest.line.filter((l) => l.defect).length).toBe(6);
    expect(a.modelDir.startsWith(join(tmp.dir, 'a', 'models', 'demo-'))).toBe(true);
    const onnxTime = statSync(join(a.modelDir, 'model.onnx')).mtimeMs;

    const t0 = performance.now();
    const again = await tinyDemo(join(tmp.dir, 'a'));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(again.cached).toBe(true);
    expect(again.modelDir).toBe(a.modelDir);
    expect(statSync(join(a.modelDir, 'model.onnx')).mtimeMs).toBe(onnxTime);

    const b = await tinyDemo(join(tmp.dir, 'b'));
    expect(hashDir(b.trainDir, b.manifest.train)).toEqual(hashDir(a.trainDir, a.manifest.train));
    expect(
      hashDir(
        b.lineDir,
        b.manifest.line.map((l) => l.file),
      ),
    ).toEqual(
      hashDir(
        a.lineDir,
        a.manifest.line.map((l) => l.file),
      ),
    );
  });
});

describe('the real demo line (MobileNetV2 from the bundled weights, fast preset)', () => {
  it('starts with no configuration and judges the line: every defect FAIL, nearly every good part PASS', async () => {
    const dataDir = join(tmp.dir, 'real');
    const stages = new Set<string>();
    const env = await stationEnv(join(tmp.dir, 'real-run'), { options: { intraOpNumThreads: 2 } });
    const demo = await startDemoLine(env.station, dataDir, {
      fps: 0,
      onProgress: (p: DemoProgress) => stages.add(p.stage),
    });
    expect([...stages]).toEqual(expect.arrayContaining(['images', 'backbone', 'fit', 'ready']));
    expect(demo.manifest.train).toHaveLength(60);
    expect(demo.manifest.line).toHaveLength(40);
    expect(demo.manifest.line.filter((l) => l.defect).length).toBe(10);
    await until(() => env.station.stats().framesInspected >= 40, 'one pass over the line', 60_000);
    await env.station.stop();
    await env.station.flush();

    const rows = new InspectionRepository(env.db)
      .page({}, { limit: 1000 })
      .rows.sort((x, y) => x.id - y.id)
      .slice(0, 40);
    const byLabel = { defectFail: 0, defectOther: 0, goodPass: 0, goodOther: 0 };
    rows.forEach((r, i) => {
      const label = demo.manifest.line[i].defect;
      if (label) byLabel[r.verdict === 'FAIL' ? 'defectFail' : 'defectOther'] += 1;
      else byLabel[r.verdict === 'PASS' ? 'goodPass' : 'goodOther'] += 1;
    });
    expect(byLabel.defectFail).toBe(10);
    expect(byLabel.goodPass).toBeGreaterThanOrEqual(26);
    expect(env.station.state().model!.method).toBe('patchcore');

    // Second start: everything cached.
    const t0 = performance.now();
    const cached = await ensureDemo(dataDir);
    expect(cached.cached).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
    await env.close();
  }, 180_000);
});
