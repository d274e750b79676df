// Pure parts of the wizard: scan findings, the hold-out split, threshold suggestions, rates and
// the cost model.
import { describe, expect, it } from 'vitest';
import type { FolderScan } from '@shared/training';
import { requestSchemas } from '@shared/api';
import { normalQuantile, ratesAt, suggestThresholds } from '../../../src/main/wizard/calibrate';
import { splitHeldOut } from '../../../src/main/wizard/jobs';
import { splitCounts, syntheticCount, WIZARD_METHODS } from '../../../src/main/wizard/methods';
import { assessScan, type ScannedImage } from '../../../src/main/wizard/scan';

function scan(over: Partial<FolderScan>): FolderScan {
  return {
    dir: '/x',
    imageFiles: 20,
    readable: 20,
    usable: 20,
    unreadable: [],
    duplicates: [],
    sizes: [{ width: 256, height: 256, count: 20 }],
    channels: [{ channels: 3, count: 20 }],
    otherFiles: 0,
    masks: 0,
    bytes: 1,
    ...over,
  };
}

describe('scan findings', () => {
  it('blocks below 5 usable images and warns below 10', () => {
    expect(assessScan(scan({ usable: 4 }), null)[0]).toMatchObject({ level: 'block', code: 'too_few' });
    expect(assessScan(scan({ usable: 5 }), null).map((i) => i.code)).toEqual(['few']);
    expect(assessScan(scan({ usable: 9 }), null)[0].level).toBe('warn');
    expect(assessScan(scan({ usable: 10 }), null)).toEqual([]);
  });

  it('reports mixed sizes, mixed channels, duplicates and unreadable files', () => {
    const issues = assessScan(
      scan({
        sizes: [
          { width: 256, height: 256, count: 15 },
          { width: 512, height: 384, count: 5 },
        ],
        channels: [
          { channels: 3, count: 18 },
          { channels: 1, count: 2 },
        ],
        duplicates: [{ sha256: 'a', files: ['a.png', 'b.png', 'c.png'] }],
        unreadable: [{ file: 'x.png', reason: 'truncated' }],
      }),
      null,
    );
    const byCode = new Map(issues.map((i) => [i.code, i.message]));
    expect(byCode.get('mixed_sizes')).toMatch(/2 sizes \(256×256 ×15, 512×384 ×5\)/);
    expect(byCode.get('mixed_channels')).toMatch(/RGB and greyscale/);
    expect(byCode.get('duplicates')).toMatch(/2 good files are exact copies/);
    expect(byCode.get('unreadable')).toMatch(/1 good file cannot be decoded/);
  });

  it('warns when the defect folder has nothing usable', () => {
    const issues = assessScan(scan({}), scan({ usable: 0, readable: 0 }));
    expect(issues.map((i) => i.code)).toContain('no_defects');
  });
});

describe('hold-out split', () => {
  const images: ScannedImage[] = Array.from({ length: 20 }, (_, i) => ({
    path: `/g/${i}.png`,
    name: `${i}.png`,
    sha256: (i * 7919).toString(16).padStart(64, '0'),
    width: 10,
    height: 10,
    channels: 3,
  }));

  it('holds out a quarter (at least 2, none below 4 images) with two synthetic defects each', () => {
    expect(splitCounts(20, 0)).toEqual({ fit: 15, calibration: 5, synthetic: 10, defects: 0 });
    expect(splitCounts(5, 3)).toMatchObject({ fit: 3, calibration: 2, synthetic: 8, defects: 3 });
    expect(splitCounts(3, 0).calibration).toBe(0);
    expect(syntheticCount(100)).toBe(60);
  });

  it('is disjoint, complete and the same for the same set in any order', () => {
    const a = splitHeldOut(images, 5);
    expect(a.heldOut).toHaveLength(5);
    expect(a.fit).toHaveLength(15);
    expect(new Set([...a.fit, ...a.heldOut].map((i) => i.name)).size).toBe(20);
    const b = splitHeldOut([...images].reverse(), 5);
    expect(b.heldOut.map((i) => i.name).sort()).toEqual(a.heldOut.map((i) => i.name).sort());
  });
});

describe('threshold suggestion and rates', () => {
  const good = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

  it('T2 meets the target false-reject rate and T1 opens a review band below it', () => {
    const t = suggestThresholds(good, 0.1, 0.2);
    const rates = ratesAt(
      { good: good.map((score) => ({ name: '', score })), synthetic: [], defect: [] },
      t.t1,
      t.t2,
    );
    expect(rates.falseRejectRate).toBeLessThanOrEqual(0.1);
    expect(rates.falseRejectRate).toBe(0.1);
    expect(rates.goodReviewRate).toBeCloseTo(0.2, 9);
    expect(t.t1).toBeLessThan(t.t2);
  });

  it('extrapolates a normal tail where the sample cannot resolve the quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    // 8 scores, target 2 %: 0.16 of a part. Mean 0.55, sd ≈ 0.245 → T2 = mean + 2.054·sd.
    const eight = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    const mean = 0.55;
    const sd = Math.sqrt(eight.reduce((a, b) => a + (b - mean) ** 2, 0) / 7);
    const t = suggestThresholds(eight, 0.02, 0.05);
    expect(t.t2).toBeCloseTo(mean + normalQuantile(0.98) * sd, 9);
    expect(t.t1).toBeCloseTo(mean + normalQuantile(0.93) * sd, 9);
    expect(t.t1).toBeLessThan(t.t2);
    // Never below the empirical quantile: a tight cluster with one outlier keeps T2 above it.
    const outlier = suggestThresholds([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 3], 0.02, 0);
    expect(outlier.t2).toBeGreaterThan(3);
  });

  it('target 0 puts T2 above every good score; rates count escapes per kind', () => {
    const t = suggestThresholds(good, 0, 0);
    expect(t.t2).toBeGreaterThan(1);
    expect(t.t1).toBe(t.t2);
    const rates = ratesAt(
      {
        good: good.map((score) => ({ name: '', score })),
        synthetic: [0.5, 2, 3].map((score) => ({ name: '', score })),
        defect: [],
      },
      t.t1,
      t.t2,
    );
    expect(rates.syntheticEscapeRate).toBeCloseTo(1 / 3, 9);
    expect(rates.defectEscapeRate).toBeNull();
  });
});

describe('method list and request validation', () => {
  it('is data: PatchCore with fast and accurate, DFR with fast', () => {
    const pc = WIZARD_METHODS.find((m) => m.id === 'patchcore')!;
    expect(pc.availability().available).toBe(true);
    expect(pc.presets.map((p) => p.id)).toEqual(['fast', 'accurate']);
    const dfr = WIZARD_METHODS.find((m) => m.id === 'dfr')!;
    expect(dfr.availability()).toMatchObject({ available: true });
    expect(dfr.presets.map((p) => p.id)).toEqual(['fast']);
  });

  it('accepts absolute paths only and refuses T1 above T2', () => {
    const scanReq = requestSchemas['training.scan'];
    expect(scanReq.safeParse({ goodDir: '/data/good' }).success).toBe(true);
    expect(scanReq.safeParse({ goodDir: 'C:\\data\\good' }).success).toBe(true);
    expect(scanReq.safeParse({ goodDir: 'data/good' }).success).toBe(false);
    expect(scanReq.safeParse({ goodDir: '/data/good', extra: 1 }).success).toBe(false);
    const save = requestSchemas['training.save'];
    const base = { jobId: 'j', targetFalseRejectRate: 0.01, deploy: false, actor: 'a', reason: 'r' };
    expect(save.safeParse({ ...base, t1: 1, t2: 1.2 }).success).toBe(true);
    expect(save.safeParse({ ...base, t1: 1.3, t2: 1.2 }).success).toBe(false);
    expect(requestSchemas['models.compare'].safeParse({ a: 'x', b: 'x', folder: '/f' }).success).toBe(false);
    expect(requestSchemas['models.deploy'].safeParse({ id: '../etc', actor: 'a', reason: 'r' }).success).toBe(
      false,
    );
  });
});
