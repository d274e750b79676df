import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CategoryEvaluator } from '../../../src/main/eval/metrics';
import {
  ReportSchema,
  buildReportJson,
  categoryResultFromMetrics,
  escapeXml,
  renderContactSheet,
  selectWorst,
  writeReport,
  type CategoryResult,
  type ContactItem,
} from '../../../src/main/eval/report';
import { rng, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('station-report-');
});
afterEach(() => tmp.cleanup());

function result(category: string, over: Partial<CategoryResult> = {}): CategoryResult {
  const r = rng(category.length);
  return {
    category,
    imageAuroc: 0.9 + 0.1 * r.next(),
    pixelAuroc: 0.95 + 0.05 * r.next(),
    aupro: 0.8 + 0.2 * r.next(),
    f1Max: 0.85,
    f1Threshold: 1.2345,
    t1: 1.1,
    t2: 1.4,
    falseRejectRate: 0.02,
    escapeRate: 0.01,
    goodReviewRate: 0.05,
    defectReviewRate: 0.07,
    nTrain: 10,
    nTestGood: 4,
    nTestDefect: 6,
    fitMs: 1234.5,
    meanLatencyMs: 12.3,
    p95LatencyMs: 20.1,
    model: { method: 'patchcore', backbone: 'wrn50', preset: 'fast' },
    ...over,
  };
}

/** Solid-colour PNGs whose red channel identifies the item. */
async function solidPng(path: string, red: number): Promise<void> {
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: red, g: 10, b: 200 } } })
    .png()
    .toFile(path);
}

async function pixelAt(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return [data[o], data[o + 1], data[o + 2]];
}

describe('report.json', () => {
  it('uses snake_case keys, writes NaN as null and averages defined values only', () => {
    const rep = buildReportJson(
      [result('a', { imageAuroc: 0.8 }), result('bb', { imageAuroc: 1, pixelAuroc: NaN, aupro: NaN })],
      new Date(0),
    );
    expect(ReportSchema.parse(rep)).toEqual(rep);
    const a = rep.categories[0];
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining([
        'image_auroc',
        'pixel_auroc',
        'aupro',
        'f1_max',
        'f1_threshold',
        'false_reject_rate',
        'escape_rate',
        'n_train',
        'n_test_good',
        'n_test_defect',
        'fit_ms',
        'mean_latency_ms',
        'p95_latency_ms',
        'model',
      ]),
    );
    expect(rep.categories[1].pixel_auroc).toBeNull();
    expect(rep.mean.image_auroc).toBeCloseTo(0.9, 12);
    expect(rep.mean.pixel_auroc).toBe(rep.categories[0].pixel_auroc);
    expect(rep.generated_at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('converts CategoryEvaluator output', () => {
    const ev = new CategoryEvaluator();
    const r = rng(3);
    for (let i = 0; i < 20; i++)
      ev.add({ path: `${i}.png`, label: i % 2 ? 1 : 0, score: r.next() + (i % 2), latencyMs: 10 + i });
    const m = ev.finish({ t1: 0.8, t2: 1.2 });
    const row = categoryResultFromMetrics('x', m, {
      nTrain: 5,
      fitMs: 99,
      model: { method: 'patchcore', backbone: 'r18', preset: 'p' },
    });
    const rep = buildReportJson([row]);
    expect(rep.categories[0].image_auroc).toBe(m.imageAuroc);
    expect(rep.categories[0].pixel_auroc).toBeNull(); // no maps were given
    expect(rep.categories[0].t2).toBe(1.2);
    expect(rep.categories[0].n_test_defect).toBe(10);
  });
});

describe('contact sheet', () => {
  it('selects worst errors by score, filtered by threshold when given', () => {
    const items: ContactItem[] = [
      { path: 'g1', score: 0.9, label: 0 },
      { path: 'g2', score: 0.2, label: 0 },
      { path: 'g3', score: 0.7, label: 0 },
      { path: 'd1', score: 0.1, label: 1 },
      { path: 'd2', score: 0.8, label: 1 },
    ];
    const all = selectWorst(items, 2);
    expect(all.falsePositives.map((i) => i.path)).toEqual(['g1', 'g3']);
    expect(all.falseNegatives.map((i) => i.path)).toEqual(['d1', 'd2']);
    const t = selectWorst(items, 5, 0.75);
    expect(t.falsePositives.map((i) => i.path)).toEqual(['g1']);
    expect(t.falseNegatives.map((i) => i.path)).toEqual(['d1']);
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('places image | overlay panes of the selected items and captions them', async () => {
    const items: ContactItem[] = [];
    for (let i = 0; i < 6; i++) {
      const p = join(tmp.dir, `item <${i}> & co.png`); // XML-hostile names must not break the SVG
      await solidPng(p, 20 + 30 * i);
      items.push({ path: p, score: i / 10, label: i < 3 ? 0 : 1 });
    }
    const overlay = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: 0, g: 255, b: 0 } },
    })
      .png()
      .toBuffer();
    items[2].overlayPng = overlay;
    const sheet = await renderContactSheet(items, { n: 2, cell: 64, columns: 2 });
    expect(sheet).not.toBeNull();
    const meta = await sharp(sheet!.png).metadata();
    expect([meta.width, meta.height]).toEqual([sheet!.width, sheet!.height]);
    expect(sheet!.tiles.map((t) => [t.section, t.item.score])).toEqual([
      ['fp', 0.2],
      ['fp', 0.1],
      ['fn', 0.3],
      ['fn', 0.4],
    ]);
    // Centre of the left pane shows the item's own image; the right pane its overlay.
    for (const t of sheet!.tiles) {
      const idx = Math.round(t.item.score * 10);
      const [r, g, b] = await pixelAt(sheet!.png, t.left + 32, t.top + 32);
      expect(Math.abs(r - (20 + 30 * idx))).toBeLessThanOrEqual(2);
      expect(Math.abs(g - 10)).toBeLessThanOrEqual(2);
      expect(Math.abs(b - 200)).toBeLessThanOrEqual(2);
    }
    const first = sheet!.tiles[0];
    expect(await pixelAt(sheet!.png, first.left + 64 + 32, first.top + 32)).toEqual([0, 255, 0]);
    // The caption strip under the first tile is not blank (text was rendered).
    const { data, info } = await sharp(sheet!.png)
      .extract({ left: first.left, top: first.top + 64, width: 128, height: 36 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let bright = 0;
    for (let i = 0; i < info.width * info.height; i++) if (data[i * 3] > 150) bright++;
    expect(bright).toBeGreaterThan(20);
  });

  it('returns null when there is nothing to show', async () => {
    expect(await renderContactSheet([{ path: 'x', score: 0.1, label: 0 }], { threshold: 0.5 })).toBeNull();
  });
});

describe('writeReport', () => {
  it('writes report.json, report.md with tables and the contact sheet', async () => {
    const items: ContactItem[] = [];
    for (let i = 0; i < 4; i++) {
      const p = join(tmp.dir, `${i}.png`);
      await solidPng(p, 50 * i);
      items.push({ path: p, score: i, label: i % 2 ? 1 : 0 });
    }
    const out = join(tmp.dir, 'out');
    const w = await writeReport(out, [result('bottle'), result('screw|x', { pixelAuroc: NaN, t2: 1.1 })], {
      samples: { bottle: items },
      contactSheet: { cell: 48 },
    });
    const json = ReportSchema.parse(JSON.parse(readFileSync(w.jsonPath, 'utf8')));
    expect(json.categories.map((c) => c.category)).toEqual(['bottle', 'screw|x']);
    const md = readFileSync(w.mdPath, 'utf8');
    const bottle = json.categories[0];
    expect(md).toContain(`| bottle | patchcore/wrn50/fast | ${(100 * bottle.image_auroc!).toFixed(1)} |`);
    expect(md).toContain('| screw\\|x |'); // pipes escaped in table cells
    expect(md).toContain('| pixel AUROC | – |');
    expect(md).toContain('| fit | 1235 |');
    expect(md).toContain('| p95 latency / image | 20.1 |');
    expect(md).toContain('T1 = 1.1000, T2 = 1.4000');
    expect(md).toContain('![worst false positives and false negatives](contact_bottle.png)');
    expect(w.contactSheets).toEqual({ bottle: 'contact_bottle.png' });
    const meta = await sharp(join(out, 'contact_bottle.png')).metadata();
    expect(meta.format).toBe('png');
  });
});
