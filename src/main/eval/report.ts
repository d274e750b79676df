// Evaluation reports: report.json (machine-readable, snake_case, validated by a zod schema so the
// UI and benchmarks can read it back), report.md (tables for people) and one PNG contact sheet per
// category with the worst false positives and false negatives. Inputs are plain numbers and
// {path, score, label, overlayPng?} items, so this module does not depend on any model code.

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { z } from 'zod';
import type { CategoryMetrics } from './metrics';

export const REPORT_SCHEMA_VERSION = 1;

// NaN (undefined metric: one class missing, no masks) is written as null: JSON has no NaN.
const num = z.number().nullable();

export const CategoryReportSchema = z.object({
  category: z.string(),
  image_auroc: num,
  pixel_auroc: num,
  aupro: num,
  f1_max: num,
  f1_threshold: num,
  /** Thresholds the line rates were computed at (T1 = T2 when a single threshold is used). */
  t1: num,
  t2: num,
  false_reject_rate: num,
  escape_rate: num,
  good_review_rate: num,
  defect_review_rate: num,
  n_train: z.number().int().nonnegative(),
  n_test_good: z.number().int().nonnegative(),
  n_test_defect: z.number().int().nonnegative(),
  fit_ms: num,
  mean_latency_ms: num,
  p95_latency_ms: num,
  model: z.object({ method: z.string(), backbone: z.string(), preset: z.string() }),
});
export type CategoryReport = z.infer<typeof CategoryReportSchema>;

export const ReportSchema = z.object({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  generated_at: z.string(),
  categories: z.array(CategoryReportSchema),
  /** Unweighted mean over categories where the metric is defined (MVTec convention). */
  mean: z.object({ image_auroc: num, pixel_auroc: num, aupro: num, f1_max: num }),
});
export type Report = z.infer<typeof ReportSchema>;

export interface ModelInfo {
  method: string;
  backbone: string;
  preset: string;
}

/** One category's results in camelCase, as the evaluation code produces them. */
export interface CategoryResult {
  category: string;
  imageAuroc: number;
  pixelAuroc: number;
  aupro: number;
  f1Max: number;
  f1Threshold: number;
  t1: number;
  t2: number;
  falseRejectRate: number;
  escapeRate: number;
  goodReviewRate: number;
  defectReviewRate: number;
  nTrain: number;
  nTestGood: number;
  nTestDefect: number;
  fitMs: number;
  meanLatencyMs: number;
  p95LatencyMs: number;
  model: ModelInfo;
}

/** Adapter from CategoryEvaluator.finish() to a report row. */
export function categoryResultFromMetrics(
  category: string,
  m: CategoryMetrics,
  extra: { nTrain: number; fitMs: number; model: ModelInfo },
): CategoryResult {
  return {
    category,
    imageAuroc: m.imageAuroc,
    pixelAuroc: m.pixel?.pixelAuroc ?? NaN,
    aupro: m.pixel?.aupro ?? NaN,
    f1Max: m.f1Max.f1,
    f1Threshold: m.f1Max.threshold,
    t1: m.rates.t1,
    t2: m.rates.t2,
    falseRejectRate: m.rates.falseRejectRate,
    escapeRate: m.rates.escapeRate,
    goodReviewRate: m.rates.goodReviewRate,
    defectReviewRate: m.rates.defectReviewRate,
    nTrain: extra.nTrain,
    nTestGood: m.nTestGood,
    nTestDefect: m.nTestDefect,
    fitMs: extra.fitMs,
    meanLatencyMs: m.latency.mean,
    p95LatencyMs: m.latency.p95,
    model: extra.model,
  };
}

function jnum(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function mean(vals: number[]): number | null {
  const ok = vals.filter((v) => Number.isFinite(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

export function buildReportJson(results: readonly CategoryResult[], now: Date = new Date()): Report {
  const categories: CategoryReport[] = results.map((r) => ({
    category: r.category,
    image_auroc: jnum(r.imageAuroc),
    pixel_auroc: jnum(r.pixelAuroc),
    aupro: jnum(r.aupro),
    f1_max: jnum(r.f1Max),
    f1_threshold: jnum(r.f1Threshold),
    t1: jnum(r.t1),
    t2: jnum(r.t2),
    false_reject_rate: jnum(r.falseRejectRate),
    escape_rate: jnum(r.escapeRate),
    good_review_rate: jnum(r.goodReviewRate),
    defect_review_rate: jnum(r.defectReviewRate),
    n_train: r.nTrain,
    n_test_good: r.nTestGood,
    n_test_defect: r.nTestDefect,
    fit_ms: jnum(r.fitMs),
    mean_latency_ms: jnum(r.meanLatencyMs),
    p95_latency_ms: jnum(r.p95LatencyMs),
    model: { method: r.model.method, backbone: r.model.backbone, preset: r.model.preset },
  }));
  // Parse our own output: a schema drift fails here, at write time, not in the UI later.
  return ReportSchema.parse({
    schema_version: REPORT_SCHEMA_VERSION,
    generated_at: now.toISOString(),
    categories,
    mean: {
      image_auroc: mean(results.map((r) => r.imageAuroc)),
      pixel_auroc: mean(results.map((r) => r.pixelAuroc)),
      aupro: mean(results.map((r) => r.aupro)),
      f1_max: mean(results.map((r) => r.f1Max)),
    },
  });
}

/** Percent with one decimal, as published tables give AUROC; "–" for undefined. */
function pct(v: number | null): string {
  return v === null ? '–' : (100 * v).toFixed(1);
}
function fixed(v: number | null, d: number): string {
  return v === null ? '–' : v.toFixed(d);
}
function ms(v: number | null): string {
  if (v === null) return '–';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}
function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderReportMarkdown(report: Report, contactSheets: Record<string, string> = {}): string {
  const L: string[] = [];
  L.push('# Evaluation report', '');
  L.push(
    `Generated ${report.generated_at}. Metrics in %, except thresholds (raw score units) and times (ms).`,
    '',
  );
  L.push('| category | model | image AUROC | pixel AUROC | AUPRO@30% | F1-max | false reject | escape |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const c of report.categories) {
    L.push(
      `| ${mdCell(c.category)} | ${mdCell(`${c.model.method}/${c.model.backbone}/${c.model.preset}`)} | ${pct(c.image_auroc)} | ${pct(c.pixel_auroc)} | ${pct(c.aupro)} | ${pct(c.f1_max)} | ${pct(c.false_reject_rate)} | ${pct(c.escape_rate)} |`,
    );
  }
  L.push(
    `| **mean** | | ${pct(report.mean.image_auroc)} | ${pct(report.mean.pixel_auroc)} | ${pct(report.mean.aupro)} | ${pct(report.mean.f1_max)} | | |`,
    '',
  );
  for (const c of report.categories) {
    L.push(`## ${c.category}`, '');
    L.push(
      `Model: ${c.model.method}, backbone ${c.model.backbone}, preset ${c.model.preset}. ` +
        `${c.n_train} training images; test: ${c.n_test_good} good, ${c.n_test_defect} defective.`,
      '',
    );
    L.push('| metric | value |', '|---|---:|');
    L.push(`| image AUROC | ${pct(c.image_auroc)} |`);
    L.push(`| pixel AUROC | ${pct(c.pixel_auroc)} |`);
    L.push(`| AUPRO (FPR ≤ 30 %, normalised) | ${pct(c.aupro)} |`);
    L.push(`| F1-max | ${pct(c.f1_max)} |`);
    L.push(`| F1-max threshold | ${fixed(c.f1_threshold, 4)} |`);
    const thr = c.t1 === c.t2 ? `T = ${fixed(c.t1, 4)}` : `T1 = ${fixed(c.t1, 4)}, T2 = ${fixed(c.t2, 4)}`;
    L.push(`| false-reject rate (good → FAIL), ${thr} | ${pct(c.false_reject_rate)} |`);
    L.push(`| escape rate (defect → PASS), ${thr} | ${pct(c.escape_rate)} |`);
    if (c.t1 !== c.t2) {
      L.push(`| good → REVIEW | ${pct(c.good_review_rate)} |`);
      L.push(`| defect → REVIEW | ${pct(c.defect_review_rate)} |`);
    }
    L.push('');
    L.push('| timing | ms |', '|---|---:|');
    L.push(`| fit | ${ms(c.fit_ms)} |`);
    L.push(`| mean latency / image | ${ms(c.mean_latency_ms)} |`);
    L.push(`| p95 latency / image | ${ms(c.p95_latency_ms)} |`);
    L.push('');
    const sheet = contactSheets[c.category];
    if (sheet) L.push(`![worst false positives and false negatives](${sheet})`, '');
  }
  return L.join('\n');
}

export interface ContactItem {
  path: string;
  score: number;
  label: 0 | 1;
  /** Heatmap overlay, encoded image (Buffer) or a file path. */
  overlayPng?: Buffer | Uint8Array | string;
}

/**
 * Worst false positives (good parts, highest scores first) and false negatives (defects, lowest
 * scores first). With a threshold, only real errors at it (good ≥ T, defect < T) are kept;
 * without one, the ranking alone decides (useful before a threshold exists).
 */
export function selectWorst(
  items: readonly ContactItem[],
  n: number,
  threshold?: number,
): { falsePositives: ContactItem[]; falseNegatives: ContactItem[] } {
  const t = threshold;
  const fp = items
    .filter((i) => i.label === 0 && (t === undefined || i.score >= t))
    .sort((a, b) => b.score - a.score);
  const fn = items
    .filter((i) => i.label === 1 && (t === undefined || i.score < t))
    .sort((a, b) => a.score - b.score);
  return { falsePositives: fp.slice(0, n), falseNegatives: fn.slice(0, n) };
}

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );
}

export interface ContactSheetOptions {
  /** Tiles per section (default 8). */
  n?: number;
  threshold?: number;
  /** Side of each square pane (image, overlay), px. Default 160. */
  cell?: number;
  /** Tiles per row. Default 4. */
  columns?: number;
  title?: string;
}

const BG = { r: 24, g: 24, b: 28 };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

function svgText(
  width: number,
  height: number,
  lines: { text: string; size: number; color: string }[],
): Buffer {
  let y = 0;
  const tspans = lines
    .map((l) => {
      y += l.size + 4;
      return `<text x="6" y="${y}" font-family="${FONT}" font-size="${l.size}" fill="${l.color}">${escapeXml(l.text)}</text>`;
    })
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${tspans}</svg>`,
  );
}

async function pane(input: Buffer | Uint8Array | string | undefined, cell: number): Promise<Buffer> {
  if (input === undefined) {
    return sharp({ create: { width: cell, height: cell, channels: 3, background: { r: 60, g: 60, b: 64 } } })
      .composite([
        {
          input: svgText(cell, cell, [
            { text: 'image-level method: no heatmap', size: 11, color: '#bbbbbb' },
          ]),
          top: 0,
          left: 0,
        },
      ])
      .png()
      .toBuffer();
  }
  const src = typeof input === 'string' ? input : Buffer.from(input);
  return sharp(src)
    .resize(cell, cell, { fit: 'contain', background: BG })
    .flatten({ background: BG })
    .removeAlpha()
    .png()
    .toBuffer();
}

/** Middle ellipsis: keeps the start and the end (serial numbers often sit at either end). */
function ellipsize(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

/**
 * PNG contact sheet: a section of false positives, then one of false negatives; each tile is
 * image | overlay with a caption (score, label, file name). Returns null when there is nothing to
 * show. Layout constants are exported through the return value so callers/tests can locate tiles.
 */
export async function renderContactSheet(
  items: readonly ContactItem[],
  opts: ContactSheetOptions = {},
): Promise<{
  png: Buffer;
  width: number;
  height: number;
  tiles: { item: ContactItem; left: number; top: number; section: 'fp' | 'fn' }[];
} | null> {
  const n = opts.n ?? 8;
  const cell = opts.cell ?? 160;
  const cols = Math.max(1, opts.columns ?? 4);
  const { falsePositives, falseNegatives } = selectWorst(items, n, opts.threshold);
  if (falsePositives.length + falseNegatives.length === 0) return null;
  const pad = 8;
  const captionH = 36;
  const headerH = 28;
  const titleH = opts.title ? 30 : 0;
  const tileW = 2 * cell;
  const tileH = cell + captionH;
  const width = pad + cols * (tileW + pad);
  const sections: { key: 'fp' | 'fn'; title: string; list: ContactItem[] }[] = [
    { key: 'fp', title: 'Worst false positives: good parts with the highest scores', list: falsePositives },
    { key: 'fn', title: 'Worst false negatives: defects with the lowest scores', list: falseNegatives },
  ];
  const composites: OverlayOptions[] = [];
  const tiles: { item: ContactItem; left: number; top: number; section: 'fp' | 'fn' }[] = [];
  let y = pad;
  if (opts.title) {
    composites.push({
      input: svgText(width, titleH, [{ text: opts.title, size: 18, color: '#ffffff' }]),
      top: y,
      left: 0,
    });
    y += titleH;
  }
  const maxChars = Math.floor(tileW / 7);
  for (const s of sections) {
    const header = s.list.length ? s.title : `${s.title}: none`;
    composites.push({
      input: svgText(width, headerH, [{ text: header, size: 15, color: '#f0c040' }]),
      top: y,
      left: 0,
    });
    y += headerH;
    for (let i = 0; i < s.list.length; i++) {
      const it = s.list[i];
      const left = pad + (i % cols) * (tileW + pad);
      const top = y + Math.floor(i / cols) * (tileH + pad);
      composites.push({ input: await pane(it.path, cell), top, left });
      composites.push({ input: await pane(it.overlayPng, cell), top, left: left + cell });
      const caption = [
        {
          text: `score ${it.score.toPrecision(4)} · ${it.label === 1 ? 'defect' : 'good'}`,
          size: 12,
          color: '#ffffff',
        },
        { text: ellipsize(basename(it.path), maxChars), size: 11, color: '#c8c8c8' },
      ];
      composites.push({ input: svgText(tileW, captionH, caption), top: top + cell, left });
      tiles.push({ item: it, left, top, section: s.key });
    }
    y += Math.ceil(s.list.length / cols) * (tileH + pad) + (s.list.length ? 0 : pad);
  }
  const height = y + pad;
  const png = await sharp({ create: { width, height, channels: 3, background: BG } })
    .composite(composites)
    .png()
    .toBuffer();
  return { png, width, height, tiles };
}

export interface WriteReportOptions {
  /** Per category, items for its contact sheet. */
  samples?: Record<string, readonly ContactItem[]>;
  /** Per category threshold for selecting errors (e.g. the F1 or line threshold). */
  thresholds?: Record<string, number>;
  contactSheet?: Omit<ContactSheetOptions, 'threshold'>;
  now?: Date;
}

export interface WrittenReport {
  jsonPath: string;
  mdPath: string;
  contactSheets: Record<string, string>;
  report: Report;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export async function writeReport(
  outDir: string,
  results: readonly CategoryResult[],
  opts: WriteReportOptions = {},
): Promise<WrittenReport> {
  await mkdir(outDir, { recursive: true });
  const report = buildReportJson(results, opts.now);
  const contactSheets: Record<string, string> = {};
  for (const r of results) {
    const items = opts.samples?.[r.category];
    if (!items?.length) continue;
    const sheet = await renderContactSheet(items, {
      ...opts.contactSheet,
      threshold: opts.thresholds?.[r.category],
      title: opts.contactSheet?.title ?? r.category,
    });
    if (!sheet) continue;
    const file = `contact_${safeName(r.category)}.png`;
    await writeFile(join(outDir, file), sheet.png);
    contactSheets[r.category] = file;
  }
  const jsonPath = join(outDir, 'report.json');
  const mdPath = join(outDir, 'report.md');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(mdPath, `${renderReportMarkdown(report, contactSheets)}\n`);
  return { jsonPath, mdPath, contactSheets, report };
}
