// End to end through the library, no model: generated good images → synthetic MVTec-layout test
// set on disk → dataset reader → masks → streaming metrics (with the exact difference to the clean
// base image as an "oracle" anomaly map) → report files.
import { mkdirSync, readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../../src/main/imaging';
import {
  CategoryEvaluator,
  ReportSchema,
  categoryResultFromMetrics,
  readMask,
  readMvtecCategory,
  writeReport,
} from '../../../src/main/eval';
import { createRng, writeSyntheticDataset } from '../../../src/main/synthetic';
import { writeFileSync } from 'node:fs';

let dir: string;
const goods: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'station-eval-int-'));
  mkdirSync(join(dir, 'src'));
  // Six 64×48 "parts": smooth shading plus seeded speckle, so textures differ between images.
  for (let k = 0; k < 6; k++) {
    const r = createRng(k);
    const w = 64;
    const h = 48;
    const data = new Uint8Array(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      const x = p % w;
      const y = (p / w) | 0;
      data[p * 3] = 60 + ((x * 2 + k * 9) % 120);
      data[p * 3 + 1] = 80 + ((y * 3) % 90);
      data[p * 3 + 2] = 50 + r.int(150);
    }
    const path = join(dir, 'src', `part${k + 1}.png`);
    writeFileSync(path, await encodePng({ data, width: w, height: h, channels: 3 }));
    goods.push(path);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthetic set → reader → metrics → report', () => {
  it('round-trips and gives near-perfect metrics for the oracle map', async () => {
    const cat = join(dir, 'synthetic_part');
    const written = await writeSyntheticDataset(goods, cat, {
      seed: 42,
      count: 12,
      cleanFraction: 0.5,
      trainPaths: goods.slice(0, 2),
    });
    expect(written.nGood + written.nDefect).toBe(12);
    expect(written.nDefect).toBeGreaterThanOrEqual(5);

    const ds = await readMvtecCategory(cat);
    expect(ds.train.map((p) => basename(p))).toEqual(['part1.png', 'part2.png']);
    expect(ds.test.filter((t) => t.label === 1)).toHaveLength(written.nDefect);
    expect(ds.hasMasks).toBe(true);

    // Writing is deterministic: a second set with the same seed has identical bytes.
    const again = join(dir, 'again');
    await writeSyntheticDataset(goods, again, { seed: 42, count: 12, cleanFraction: 0.5 });
    for (const sub of ['test/good', 'test/synthetic', 'ground_truth/synthetic']) {
      for (const f of readdirSync(join(cat, sub))) {
        expect(readFileSync(join(again, sub, f)).equals(readFileSync(join(cat, sub, f))), `${sub}/${f}`).toBe(
          true,
        );
      }
    }

    const ev = new CategoryEvaluator({ bins: 4096 });
    for (const t of ds.test) {
      const img = await decodeImage(t.path);
      // File names are <index>_<base stem>.png: the base image is known, so |test − base| is an
      // oracle map that is exactly 0 outside the synthetic defect.
      const stem = basename(t.path, '.png').replace(/^\d+_/, '');
      const base = await decodeImage(join(dir, 'src', `${stem}.png`));
      const n = img.width * img.height;
      const map = new Float32Array(n);
      let score = 0;
      for (let p = 0; p < n; p++) {
        let d = 0;
        for (let c = 0; c < 3; c++) d += Math.abs(img.data[p * 3 + c] - base.data[p * 3 + c]);
        map[p] = d;
        score = Math.max(score, d);
      }
      const mask = t.maskPath ? (await readMask(t.maskPath, img)).mask : null;
      if (mask) {
        // Outside the mask the synthetic image equals its base exactly (after PNG round trip).
        for (let p = 0; p < n; p++) if (!mask[p]) expect(map[p]).toBe(0);
      }
      ev.add({
        path: t.path,
        label: t.label,
        score,
        map,
        mask,
        width: img.width,
        height: img.height,
        latencyMs: 1,
      });
    }
    const m = ev.finish();
    expect(m.imageAuroc).toBe(1);
    expect(m.f1Max.f1).toBe(1);
    expect(m.pixel!.pixelAuroc).toBeGreaterThan(0.9);
    expect(m.pixel!.aupro).toBeGreaterThan(0.8);
    expect(m.rates.falseRejectRate).toBe(0);
    expect(m.rates.escapeRate).toBe(0);

    const out = join(dir, 'report');
    const row = categoryResultFromMetrics(ds.category, m, {
      nTrain: ds.train.length,
      fitMs: 0,
      model: { method: 'oracle', backbone: 'none', preset: 'test' },
    });
    const w = await writeReport(out, [row], {
      samples: { [ds.category]: ev.samples },
      contactSheet: { cell: 48, n: 3 },
    });
    const json = ReportSchema.parse(JSON.parse(readFileSync(w.jsonPath, 'utf8')));
    expect(json.categories[0].n_test_defect).toBe(written.nDefect);
    expect(json.categories[0].image_auroc).toBe(1);
    expect(w.contactSheets[ds.category]).toBe('contact_synthetic_part.png');
  });
});
