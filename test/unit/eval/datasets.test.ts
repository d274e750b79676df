import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DatasetLayoutError,
  listMvtecCategories,
  readFolderDataset,
  readMvtecCategory,
  readMvtecRoot,
} from '../../../src/main/eval/datasets';
import { naturalCompare, naturalSort } from '../../../src/main/eval/natural-sort';
import { tempDir } from './helpers';

// The readers only list files, so empty files with image names are enough here; the integration
// test decodes real generated PNGs.
function touch(...parts: string[]): string {
  const p = join(...parts);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, '');
  return p;
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function makeMvtec(root: string, cat: string): void {
  const c = join(root, cat);
  for (const n of ['10.png', '2.png', '1.png', 'notes.txt', '.hidden.png']) touch(c, 'train', 'good', n);
  for (const n of ['000.png', '001.png']) touch(c, 'test', 'good', n);
  for (const n of ['img10.jpg', 'img9.jpg']) {
    touch(c, 'test', 'crack', n);
    touch(c, 'ground_truth', 'crack', n.replace('.jpg', '_mask.png'));
  }
  touch(c, 'test', 'hole', 'a.bmp');
  touch(c, 'ground_truth', 'hole', 'a_mask.png');
}

describe('natural sort', () => {
  it('orders digit runs numerically, deterministically', () => {
    expect(naturalSort(['img10.png', 'img2.png', 'img1.png', 'img02.png', 'a.png', 'B.png'])).toEqual([
      'B.png',
      'a.png',
      'img1.png',
      'img2.png',
      'img02.png',
      'img10.png',
    ]);
    expect(naturalCompare('x123456789012345678901', 'x123456789012345678902')).toBeLessThan(0);
    expect(naturalCompare('a', 'a')).toBe(0);
  });
});

describe('MVTec AD reader', () => {
  it('reads train, test labels, defect types and masks in natural order', async () => {
    makeMvtec(tmp.dir, 'bottle');
    const d = await readMvtecCategory(join(tmp.dir, 'bottle'));
    expect(d.category).toBe('bottle');
    expect(d.train.map((p) => basename(p))).toEqual(['1.png', '2.png', '10.png']);
    expect(
      d.test.map((t) => [t.defectType, basename(t.path), t.label, t.maskPath && basename(t.maskPath)]),
    ).toEqual([
      ['crack', 'img9.jpg', 1, 'img9_mask.png'],
      ['crack', 'img10.jpg', 1, 'img10_mask.png'],
      ['good', '000.png', 0, null],
      ['good', '001.png', 0, null],
      ['hole', 'a.bmp', 1, 'a_mask.png'],
    ]);
    expect(d.hasMasks).toBe(true);
  });

  it('lists categories and skips non-category folders and files', async () => {
    makeMvtec(tmp.dir, 'screw');
    makeMvtec(tmp.dir, 'bottle');
    touch(tmp.dir, 'LICENSE.txt');
    mkdirSync(join(tmp.dir, 'docs'));
    expect(await listMvtecCategories(tmp.dir)).toEqual(['bottle', 'screw']);
    expect((await readMvtecRoot(tmp.dir)).map((d) => d.test.length)).toEqual([5, 5]);
    await expect(listMvtecCategories(join(tmp.dir, 'docs'))).rejects.toThrow(/no MVTec AD categories/);
  });

  it('allows a category without ground_truth (image labels only)', async () => {
    touch(tmp.dir, 'c', 'train', 'good', '1.png');
    touch(tmp.dir, 'c', 'test', 'bad', '1.png');
    const d = await readMvtecCategory(join(tmp.dir, 'c'));
    expect(d.test[0].maskPath).toBeNull();
    expect(d.hasMasks).toBe(false);
  });

  it('fails clearly on a wrong layout', async () => {
    const c = join(tmp.dir, 'c');
    touch(c, 'test', 'good', '1.png');
    await expect(readMvtecCategory(c)).rejects.toThrow(/missing train\/good/);
    mkdirSync(join(c, 'train', 'good'), { recursive: true });
    await expect(readMvtecCategory(c)).rejects.toThrow(/no images in .*train/);
    touch(c, 'train', 'good', '1.png');
    touch(c, 'test', 'crack', '5.png');
    touch(c, 'ground_truth', 'crack', '6_mask.png');
    await expect(readMvtecCategory(c)).rejects.toThrow(/no mask for test\/crack\/5.png/);
    touch(c, 'ground_truth', 'crack', '5_mask.png');
    await expect(readMvtecCategory(c)).resolves.toBeTruthy();
    mkdirSync(join(c, 'test', 'empty'));
    mkdirSync(join(c, 'ground_truth', 'empty'));
    await expect(readMvtecCategory(c)).rejects.toThrow(/test\/empty.*no images/);
    await expect(readMvtecCategory(join(tmp.dir, 'nope'))).rejects.toThrow(DatasetLayoutError);
  });
});

describe('Folder reader', () => {
  function makeFolder(nGood: number): string {
    const r = join(tmp.dir, 'part');
    for (let i = 0; i < nGood; i++) touch(r, 'good', `g${i}.png`);
    for (const n of ['d1.png', 'd2.tif', 'd3.webp']) touch(r, 'bad', n);
    touch(r, 'masks', 'd1.png');
    touch(r, 'masks', 'd2_mask.png');
    touch(r, 'masks', 'd3_mask.bmp');
    return r;
  }

  it('splits normals reproducibly by seed and matches masks by name', async () => {
    const r = makeFolder(20);
    const opts = {
      normalDir: join(r, 'good'),
      abnormalDir: join(r, 'bad'),
      maskDir: join(r, 'masks'),
      normalTestSplitRatio: 0.25,
      seed: 7,
    };
    const a = await readFolderDataset(opts);
    const b = await readFolderDataset(opts);
    const c = await readFolderDataset({ ...opts, seed: 8 });
    expect(a.category).toBe('part');
    expect(a.train.length).toBe(15);
    expect(a.test.filter((t) => t.label === 0).length).toBe(5);
    expect(a).toEqual(b);
    expect(c.train).not.toEqual(a.train);
    // Train and test are disjoint and together are all the normals.
    const goodTest = a.test.filter((t) => t.label === 0).map((t) => t.path);
    expect(new Set([...a.train, ...goodTest]).size).toBe(20);
    expect(a.test.filter((t) => t.label === 1).map((t) => basename(t.maskPath ?? ''))).toEqual([
      'd1.png',
      'd2_mask.png',
      'd3_mask.bmp',
    ]);
    expect(a.hasMasks).toBe(true);
  });

  it('uses normalTestDir instead of a split when given', async () => {
    const r = makeFolder(4);
    touch(r, 'good_test', 'x.png');
    const d = await readFolderDataset({ normalDir: join(r, 'good'), normalTestDir: join(r, 'good_test') });
    expect(d.train.length).toBe(4);
    expect(d.test.map((t) => basename(t.path))).toEqual(['x.png']);
  });

  it('fails on missing or ambiguous masks, empty folders and bad ratios', async () => {
    const r = makeFolder(4);
    const base = { normalDir: join(r, 'good'), abnormalDir: join(r, 'bad'), maskDir: join(r, 'masks') };
    touch(r, 'bad', 'd4.png');
    await expect(readFolderDataset(base)).rejects.toThrow(/no mask for d4.png/);
    touch(r, 'masks', 'd4.png');
    touch(r, 'masks', 'd4_mask.png');
    await expect(readFolderDataset(base)).rejects.toThrow(/ambiguous masks for d4.png/);
    mkdirSync(join(r, 'empty'));
    await expect(readFolderDataset({ normalDir: join(r, 'empty') })).rejects.toThrow(/no images/);
    await expect(readFolderDataset({ normalDir: join(r, 'good'), normalTestSplitRatio: 1 })).rejects.toThrow(
      /SplitRatio must be/,
    );
  });
});
