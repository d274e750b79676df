// Real datasets in ../shared/data (MVTec layout, see its README). Skips when the folder is absent;
// the unit tests cover every reader feature without it.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/main/imaging';
import { listMvtecCategories, readMask, readMvtecCategory } from '../../../src/main/eval';
import { synthesizeAnomaly } from '../../../src/main/synthetic';

const DATA = resolve(__dirname, '../../../../shared/data');
const present = existsSync(DATA);
if (!present) console.warn(`[eval] ${DATA} not found: skipping real-dataset tests`);

describe.skipIf(!present)('shared datasets (../shared/data)', () => {
  it('lists the categories', async () => {
    const cats = await listMvtecCategories(DATA);
    expect(cats).toEqual(expect.arrayContaining(['deeppcb', 'magnetic_tile']));
  });

  // Counts from ../shared/data/README.md.
  it.each([
    ['magnetic_tile', 761, 191, { blowhole: 115, break: 85, crack: 57, fray: 32, uneven: 103 }],
    ['deeppcb', 1000, 500, { defect: 500 }],
  ] as const)(
    '%s matches the README counts and every defect has a same-size mask',
    async (cat, nTrain, nGood, defects) => {
      const ds = await readMvtecCategory(resolve(DATA, cat));
      expect(ds.train).toHaveLength(nTrain);
      expect(ds.test.filter((t) => t.label === 0)).toHaveLength(nGood);
      const byType: Record<string, number> = {};
      for (const t of ds.test) if (t.label === 1) byType[t.defectType] = (byType[t.defectType] ?? 0) + 1;
      expect(byType).toEqual(defects);
      expect(ds.hasMasks).toBe(true);
      // One decoded sample per defect type: mask aligned with its image and non-empty.
      for (const type of Object.keys(defects)) {
        const t = ds.test.find((x) => x.defectType === type)!;
        expect(basename(t.maskPath!)).toBe(basename(t.path).replace('.png', '_mask.png'));
        const img = await decodeImage(t.path);
        const { mask } = await readMask(t.maskPath!, img);
        expect(mask.some((v) => v === 1)).toBe(true);
      }
    },
  );

  it('synthesizes deterministic anomalies on real magnetic-tile images', async () => {
    const ds = await readMvtecCategory(resolve(DATA, 'magnetic_tile'));
    const a = await decodeImage(ds.train[0]);
    const b = await decodeImage(ds.train[1]);
    const s1 = synthesizeAnomaly(a, b, 7);
    const s2 = synthesizeAnomaly(a, b, 7);
    expect(Buffer.from(s1.image.data).equals(Buffer.from(s2.image.data))).toBe(true);
    expect(s1.label).toBe(1);
    let outsideChanged = 0;
    for (let p = 0; p < s1.mask.length; p++) {
      if (!s1.mask[p])
        for (let c = 0; c < 3; c++) outsideChanged += s1.image.data[p * 3 + c] !== a.data[p * 3 + c] ? 1 : 0;
    }
    expect(outsideChanged).toBe(0);
  });
});
