import { describe, expect, it } from 'vitest';
import {
  CategoryEvaluator,
  PixelMetricsAccumulator,
  auproExact,
  labelComponents,
  pixelAurocExact,
  type MapWithMask,
} from '../../../src/main/eval/metrics';
import { gauss, randomMask, rng } from './helpers';

/** Random maps: noise everywhere, a shifted mean on defect pixels; every 3rd image is good. */
function randomSet(
  seed: number,
  n: number,
  w: number,
  h: number,
  opts: { quantize?: number; scale?: number[] } = {},
): MapWithMask[] {
  const r = rng(seed);
  const out: MapWithMask[] = [];
  for (let k = 0; k < n; k++) {
    const good = k % 3 === 0;
    const mask = good ? null : randomMask(r, w, h, 1 + r.int(3));
    const map = new Float32Array(w * h);
    const sc = opts.scale ? opts.scale[k % opts.scale.length] : 1;
    for (let i = 0; i < map.length; i++) {
      let v = gauss(r) + (mask && mask[i] ? 1.5 + 0.5 * r.next() : 0);
      if (opts.quantize) v = Math.round(v * opts.quantize) / opts.quantize;
      map[i] = v * sc;
    }
    out.push({ map, mask, width: w, height: h });
  }
  return out;
}

function accumulate(
  items: MapWithMask[],
  opts: ConstructorParameters<typeof PixelMetricsAccumulator>[0] = {},
) {
  const acc = new PixelMetricsAccumulator(opts);
  for (const it of items) acc.add(it.map, it.mask, it.width, it.height);
  return acc.result();
}

describe('labelComponents', () => {
  it('joins diagonal neighbours (8-connectivity) and sizes regions', () => {
    // x . . . .
    // . x . x x
    // . . . x .
    // x . . . .
    const w = 5;
    const m = Uint8Array.from([1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    const c = labelComponents(m, w, 4);
    expect(c.count).toBe(3);
    expect(Array.from(c.sizes)).toEqual([0, 2, 3, 1]);
    expect(c.labels[0]).toBe(c.labels[6]);
    expect(c.labels[8]).toBe(c.labels[13]);
    expect(c.labels[15]).toBe(3);
    expect(c.labels[1]).toBe(0);
  });

  it('follows regions that turn back upwards (U shape) as one region', () => {
    // x . x
    // x . x
    // . x .
    const m = Uint8Array.from([1, 0, 1, 1, 0, 1, 0, 1, 0]);
    const c = labelComponents(m, 3, 3);
    expect(c.count).toBe(1);
    expect(c.sizes[1]).toBe(5);
  });

  it('treats 255 as foreground, handles a full mask and row wrap-around', () => {
    const full = labelComponents(new Uint8Array(64 * 64).fill(255), 64, 64);
    expect(full.count).toBe(1);
    expect(full.sizes[1]).toBe(4096);
    // Pixels at the end of row 0 and start of row 1 are adjacent in memory, not in the image.
    const m = new Uint8Array(4 * 3);
    m[3] = 1;
    m[4] = 1;
    expect(labelComponents(m, 4, 3).count).toBe(2);
  });
});

describe('pixel AUROC from histograms', () => {
  it('matches the exact AUROC within 1e-3 and within its own error bound', () => {
    for (const [seed, q] of [
      [21, 0],
      [22, 8],
    ] as const) {
      const items = randomSet(seed, 12, 48, 40, { quantize: q || undefined });
      const exact = pixelAurocExact(items);
      const r = accumulate(items);
      expect(Math.abs(r.pixelAuroc - exact)).toBeLessThan(1e-3);
      expect(Math.abs(r.pixelAuroc - exact)).toBeLessThanOrEqual(r.aurocErrorBound + 1e-12);
      expect(r.nPositivePixels + r.nNegativePixels).toBe(12 * 48 * 40);
    }
  });

  it('keeps the error within the bound even with very few bins', () => {
    const items = randomSet(23, 6, 32, 32);
    const exact = pixelAurocExact(items);
    const r = accumulate(items, { bins: 16 });
    expect(r.aurocErrorBound).toBeGreaterThan(1e-3); // coarse on purpose
    expect(Math.abs(r.pixelAuroc - exact)).toBeLessThanOrEqual(r.aurocErrorBound + 1e-12);
  });

  it('is exact when every distinct score has its own bin (ties as one threshold)', () => {
    const items = randomSet(24, 9, 30, 20, { quantize: 2 });
    const r = accumulate(items, { range: [-20, 20], bins: 80 }); // bin width 0.5 = quantum
    expect(r.pixelAuroc).toBeCloseTo(pixelAurocExact(items), 12);
  });

  it('grows the range by exact doubling when later maps fall outside it', () => {
    // Scales spread the score range over three orders of magnitude, both directions.
    const items = randomSet(25, 9, 24, 24, { scale: [0.01, 1, 40] });
    items.push({ map: new Float32Array(24 * 24).fill(-300), mask: null, width: 24, height: 24 });
    const streamed = accumulate(items, { bins: 4096 });
    let lo = Infinity;
    let hi = -Infinity;
    for (const it of items)
      for (let i = 0; i < it.map.length; i++) {
        lo = Math.min(lo, it.map[i]);
        hi = Math.max(hi, it.map[i]);
      }
    const exact = pixelAurocExact(items);
    expect(Math.abs(streamed.pixelAuroc - exact)).toBeLessThanOrEqual(streamed.aurocErrorBound + 1e-12);
    // Final resolution within 4× of what a known range would give (see the module comment).
    expect(streamed.binWidth).toBeLessThanOrEqual((4 * (hi - lo)) / 4096);
    const known = accumulate(items, { bins: 4096, range: [lo, hi] });
    expect(known.binWidth).toBeCloseTo((hi - lo) / 4096, 9);
    expect(Math.abs(known.pixelAuroc - exact)).toBeLessThanOrEqual(known.aurocErrorBound + 1e-12);
    // Order of arrival must not matter beyond the binning: reversed order, same bound.
    const rev = accumulate([...items].reverse(), { bins: 4096 });
    expect(Math.abs(rev.pixelAuroc - exact)).toBeLessThanOrEqual(rev.aurocErrorBound + 1e-12);
    expect(rev.nPositivePixels).toBe(streamed.nPositivePixels);
  });

  it('handles a constant first map, NaN and single-class input', () => {
    const acc = new PixelMetricsAccumulator({ bins: 64 });
    acc.add(new Float32Array(16).fill(2), null, 4, 4);
    expect(acc.result().pixelAuroc).toBeNaN(); // no positives yet
    const mask = new Uint8Array(16);
    mask[5] = 1;
    const map = new Float32Array(16).fill(1);
    map[5] = 10;
    acc.add(map, mask, 4, 4);
    expect(acc.result().pixelAuroc).toBe(1);
    expect(() => acc.add(Float32Array.of(NaN, 0, 0, 0), null, 2, 2)).toThrow(/NaN/);
    expect(() => acc.add(new Float32Array(3), null, 2, 2)).toThrow(/expected/);
    expect(() => new PixelMetricsAccumulator({ bins: 7 })).toThrow(/even/);
  });
});

describe('AUPRO', () => {
  const both = (items: MapWithMask[]) => ({ exact: auproExact(items), binned: accumulate(items).aupro });

  it('is 1 for a single region fully detected with no false positives', () => {
    const w = 10;
    const mask = new Uint8Array(100);
    const map = new Float32Array(100);
    for (const [x, y] of [
      [1, 1],
      [2, 1],
      [3, 1],
      [1, 2],
      [2, 2],
      [3, 2],
    ]) {
      mask[y * w + x] = 1;
      map[y * w + x] = 1;
    }
    const { exact, binned } = both([{ map, mask, width: 10, height: 10 }]);
    expect(exact).toBeCloseTo(1, 12);
    expect(binned).toBeCloseTo(1, 12);
  });

  it('averages over regions, not pixels', () => {
    // Region A: 1 px detected. Region B: 3×3 = 9 px missed. Pixel recall 10 %, mean PRO 50 %.
    const mask = new Uint8Array(100);
    const map = new Float32Array(100);
    mask[0] = 1;
    map[0] = 1;
    for (let y = 5; y < 8; y++) for (let x = 5; x < 8; x++) mask[y * 10 + x] = 1;
    // At t=1: (FPR 0, PRO .5); next threshold 0 jumps to (1, 1); at FPR .3 PRO = .65.
    const expected = (0.3 * (0.5 + 0.65)) / 2 / 0.3;
    const { exact, binned } = both([{ map, mask, width: 10, height: 10 }]);
    expect(exact).toBeCloseTo(expected, 12);
    expect(binned).toBeCloseTo(expected, 9);
  });

  it('matches a hand-computed curve with two regions of different coverage and a false-positive image', () => {
    // Defect image 10×10: region A (2×2) fully at 1; region B (2×2, separate) half at 1, half at 0.
    const w = 10;
    const mask = new Uint8Array(100);
    const map = new Float32Array(100);
    for (const p of [0, 1, 10, 11]) {
      mask[p] = 1;
      map[p] = 1;
    }
    for (const p of [55, 56, 65, 66]) mask[p] = 1;
    map[55] = 1;
    map[56] = 1;
    // Good image 10×10: 23 % of the 92 + 100 normal pixels? Keep it simple: 48 normals at 0.5.
    const good = new Float32Array(100);
    for (let i = 0; i < 48; i++) good[i] = 0.5;
    const N = 92 + 100;
    // Curve: t=1 → (0, .75); t=.5 → (48/N, .75); t=0 → (1, 1).
    const f1 = 48 / N;
    const proAt03 = 0.75 + 0.25 * ((0.3 - f1) / (1 - f1));
    const expected = (f1 * 0.75 + ((0.3 - f1) * (0.75 + proAt03)) / 2) / 0.3;
    const items = [
      { map, mask, width: w, height: 10 },
      { map: good, mask: null, width: w, height: 10 },
    ];
    const { exact, binned } = both(items);
    expect(exact).toBeCloseTo(expected, 12);
    expect(binned).toBeCloseTo(expected, 9);
    expect(accumulate(items).nRegions).toBe(2);
  });

  it('is 0 when every normal pixel outscores the defects and NaN without regions', () => {
    const mask = Uint8Array.from([1, 0, 0, 0]);
    const map = Float32Array.of(0, 1, 1, 1);
    expect(auproExact([{ map, mask, width: 2, height: 2 }])).toBe(0);
    expect(accumulate([{ map, mask, width: 2, height: 2 }]).aupro).toBe(0);
    expect(auproExact([{ map, mask: null, width: 2, height: 2 }])).toBeNaN();
  });

  it('binned AUPRO matches the exact one within 1e-3 and its bound on random data', () => {
    for (const [seed, q] of [
      [31, 0],
      [32, 4],
    ] as const) {
      const items = randomSet(seed, 12, 40, 40, { quantize: q || undefined });
      const exact = auproExact(items);
      const r = accumulate(items);
      expect(exact).toBeGreaterThan(0.05);
      expect(exact).toBeLessThan(0.99);
      expect(Math.abs(r.aupro - exact)).toBeLessThan(1e-3);
      expect(Math.abs(r.aupro - exact)).toBeLessThanOrEqual(r.auproErrorBound + 1e-12);
    }
  });

  it('honours a different FPR limit', () => {
    const items = randomSet(33, 6, 32, 32);
    const r = accumulate(items, { maxFpr: 1 });
    expect(Math.abs(r.aupro - auproExact(items, 1))).toBeLessThan(1e-3);
    expect(Math.abs(r.aupro - accumulate(items).aupro)).toBeGreaterThan(1e-3);
  });
});

describe('CategoryEvaluator', () => {
  it('combines image and pixel metrics and refuses a defect map without its mask', () => {
    const items = randomSet(41, 9, 16, 16);
    const ev = new CategoryEvaluator({ bins: 1024 });
    items.forEach((it, k) => {
      let score = -Infinity;
      for (let i = 0; i < it.map.length; i++) score = Math.max(score, it.map[i]);
      ev.add({ path: `img${k}.png`, label: it.mask ? 1 : 0, score, latencyMs: k + 1, ...it });
    });
    const m = ev.finish();
    expect(m.nTestGood).toBe(3);
    expect(m.nTestDefect).toBe(6);
    expect(m.pixel?.nImages).toBe(9);
    expect(Math.abs((m.pixel?.pixelAuroc ?? 0) - pixelAurocExact(items))).toBeLessThan(1e-2);
    expect(m.rates.t1).toBe(m.f1Max.threshold);
    expect(m.latency.mean).toBe(5);
    expect(() =>
      ev.add({
        path: 'x.png',
        label: 1,
        score: 1,
        map: new Float32Array(4),
        mask: null,
        width: 2,
        height: 2,
      }),
    ).toThrow(/no mask/);
  });
});
