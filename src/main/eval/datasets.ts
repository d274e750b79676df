// Dataset readers for evaluation: the MVTec AD folder layout (also used by ../shared/data) and
// anomalib's "Folder" layout. They only list files: decoding happens later, one image at a time,
// so reading a category with thousands of images costs a few directory listings.

import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { createRng } from '../util/rng';
import { IMAGE_EXTENSIONS, isImageFile } from '../imaging/files';
import { naturalCompare } from './natural-sort';

export { IMAGE_EXTENSIONS, isImageFile } from '../imaging/files';

export interface TestItem {
  path: string;
  /** 0 = good, 1 = defective. */
  label: 0 | 1;
  /** MVTec: the test sub-folder ("good", "crack", …). Folder layout: "good" or "abnormal". */
  defectType: string;
  /** Ground-truth mask, or null (good images, or a dataset without pixel labels). */
  maskPath: string | null;
}

export interface EvalDataset {
  category: string;
  root: string;
  train: string[];
  test: TestItem[];
  /** True when every defective test image has a mask (pixel metrics are meaningful). */
  hasMasks: boolean;
}

export class DatasetLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetLayoutError';
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(naturalCompare);
}

/** Image file names (not paths) in a folder, natural order; hidden files are ignored. */
async function imageNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageFile(e.name))
    .map((e) => e.name)
    .sort(naturalCompare);
}

async function requireImages(dir: string, what: string): Promise<string[]> {
  if (!(await isDir(dir))) throw new DatasetLayoutError(`${what}: folder not found: ${dir}`);
  const names = await imageNames(dir);
  if (names.length === 0) {
    throw new DatasetLayoutError(`${what}: no images in ${dir} (looked for ${IMAGE_EXTENSIONS.join(', ')})`);
  }
  return names;
}

function stem(name: string): string {
  return basename(name, extname(name));
}

/** Sub-folders of `root` that look like MVTec categories (have train/good), natural order. */
export async function listMvtecCategories(root: string): Promise<string[]> {
  const abs = resolve(root);
  if (!(await isDir(abs))) throw new DatasetLayoutError(`dataset root not found: ${abs}`);
  const out: string[] = [];
  for (const name of await subdirs(abs)) {
    if (await isDir(join(abs, name, 'train', 'good'))) out.push(name);
  }
  if (out.length === 0) {
    throw new DatasetLayoutError(
      `no MVTec AD categories under ${abs}: expected <root>/<category>/train/good (and test/, ground_truth/)`,
    );
  }
  return out;
}

/**
 * Reads one MVTec AD category folder:
 *   train/good/*, test/<type>/*, ground_truth/<type>/<name>_mask.<ext> (none for test/good).
 * When ground_truth/ exists, every defective test image must have its mask (a missing mask would
 * silently count a defect's pixels as normal and inflate pixel metrics), otherwise maskPath is null.
 */
export async function readMvtecCategory(categoryDir: string): Promise<EvalDataset> {
  const root = resolve(categoryDir);
  const category = basename(root);
  if (!(await isDir(root))) throw new DatasetLayoutError(`category folder not found: ${root}`);
  const trainDir = join(root, 'train', 'good');
  if (!(await isDir(trainDir))) {
    throw new DatasetLayoutError(`${category}: missing train/good in ${root} (MVTec AD layout expected)`);
  }
  const train = (await requireImages(trainDir, `${category} train/good`)).map((n) => join(trainDir, n));

  const testDir = join(root, 'test');
  if (!(await isDir(testDir))) throw new DatasetLayoutError(`${category}: missing test/ in ${root}`);
  const types = await subdirs(testDir);
  if (types.length === 0)
    throw new DatasetLayoutError(`${category}: test/ has no sub-folders (expected good/ and defect types)`);

  const gtDir = join(root, 'ground_truth');
  const hasGt = await isDir(gtDir);
  const test: TestItem[] = [];
  let missingMasks = 0;
  for (const type of types) {
    const dir = join(testDir, type);
    const names = await requireImages(dir, `${category} test/${type}`);
    const label: 0 | 1 = type === 'good' ? 0 : 1;
    let maskIndex: Map<string, string> | null = null;
    if (label === 1 && hasGt) {
      const typeGt = join(gtDir, type);
      if (!(await isDir(typeGt))) {
        throw new DatasetLayoutError(
          `${category}: ground_truth/ exists but has no ${type}/ folder for test/${type}`,
        );
      }
      maskIndex = new Map();
      for (const m of await imageNames(typeGt)) {
        const s = stem(m);
        // MVTec names masks <image>_mask.png; other exports sometimes keep the image name.
        const key = s.endsWith('_mask') ? s.slice(0, -'_mask'.length) : s;
        const prev = maskIndex.get(key);
        if (prev !== undefined && prev !== m) {
          throw new DatasetLayoutError(`${category}: two masks for ${type}/${key}: ${prev} and ${m}`);
        }
        maskIndex.set(key, m);
      }
    }
    for (const n of names) {
      let maskPath: string | null = null;
      if (maskIndex) {
        const m = maskIndex.get(stem(n));
        if (m === undefined) {
          throw new DatasetLayoutError(
            `${category}: no mask for test/${type}/${n} (expected ground_truth/${type}/${stem(n)}_mask.png)`,
          );
        }
        maskPath = join(gtDir, type, m);
      } else if (label === 1) {
        missingMasks++;
      }
      test.push({ path: join(dir, n), label, defectType: type, maskPath });
    }
  }
  return { category, root, train, test, hasMasks: hasGt && missingMasks === 0 };
}

/** Reads every category under an MVTec-style root. */
export async function readMvtecRoot(root: string): Promise<EvalDataset[]> {
  const cats = await listMvtecCategories(root);
  const out: EvalDataset[] = [];
  for (const c of cats) out.push(await readMvtecCategory(join(resolve(root), c)));
  return out;
}

export interface FolderDatasetOptions {
  /** Name used in reports. Defaults to the basename of normalDir's parent. */
  name?: string;
  /** Good images. Part of them go to test unless normalTestDir is given. */
  normalDir: string;
  /** Defective images (flat folder). Optional: without it only false-reject figures are possible. */
  abnormalDir?: string;
  /** Masks for abnormalDir, matched by basename with an optional `_mask` suffix, any image extension. */
  maskDir?: string;
  /** Separate good test images; when given, normalDir is used entirely for training. */
  normalTestDir?: string;
  /** Fraction of normalDir moved to test when normalTestDir is absent (anomalib default 0.2). */
  normalTestSplitRatio?: number;
  /** Seed of the split shuffle, so a split is reproducible. */
  seed?: number;
}

/** anomalib "Folder" layout reader. */
export async function readFolderDataset(opts: FolderDatasetOptions): Promise<EvalDataset> {
  const normalDir = resolve(opts.normalDir);
  const ratio = opts.normalTestSplitRatio ?? 0.2;
  if (!(ratio >= 0 && ratio < 1))
    throw new DatasetLayoutError(`normalTestSplitRatio must be in [0, 1), got ${ratio}`);
  const name = opts.name ?? basename(resolve(normalDir, '..'));
  const normals = (await requireImages(normalDir, `${name} normal`)).map((n) => join(normalDir, n));

  let train: string[];
  let testGood: string[];
  if (opts.normalTestDir) {
    const d = resolve(opts.normalTestDir);
    train = normals;
    testGood = (await requireImages(d, `${name} normal test`)).map((n) => join(d, n));
  } else {
    // Shuffle a copy with a seeded Fisher–Yates; both halves are re-sorted so their order does
    // not depend on the shuffle, only their membership does.
    const idx = createRng(opts.seed ?? 0).choose(normals.length, normals.length);
    const nTest = Math.round(ratio * normals.length);
    if (ratio > 0 && normals.length - nTest < 1) {
      throw new DatasetLayoutError(
        `${name}: split ratio ${ratio} leaves no training images of ${normals.length}`,
      );
    }
    const testSet = new Set(idx.slice(0, nTest));
    train = normals.filter((_, i) => !testSet.has(i));
    testGood = normals.filter((_, i) => testSet.has(i));
  }

  const test: TestItem[] = testGood.map((p) => ({ path: p, label: 0, defectType: 'good', maskPath: null }));
  let hasMasks = false;
  if (opts.abnormalDir) {
    const abDir = resolve(opts.abnormalDir);
    const abnormal = await requireImages(abDir, `${name} abnormal`);
    let masks: Map<string, string[]> | null = null;
    if (opts.maskDir) {
      const mDir = resolve(opts.maskDir);
      masks = new Map();
      for (const m of await requireImages(mDir, `${name} masks`)) {
        const s = stem(m);
        for (const key of s.endsWith('_mask') ? [s, s.slice(0, -5)] : [s]) {
          const l = masks.get(key) ?? [];
          l.push(m);
          masks.set(key, l);
        }
      }
      hasMasks = true;
    }
    for (const n of abnormal) {
      let maskPath: string | null = null;
      if (masks) {
        const s = stem(n);
        const cands = masks.get(s) ?? [];
        if (cands.length === 0) {
          throw new DatasetLayoutError(
            `${name}: no mask for ${n} in ${opts.maskDir} (expected ${s}.png or ${s}_mask.png)`,
          );
        }
        if (cands.length > 1) {
          throw new DatasetLayoutError(`${name}: ambiguous masks for ${n}: ${cands.join(', ')}`);
        }
        maskPath = join(resolve(opts.maskDir!), cands[0]);
      }
      test.push({ path: join(abDir, n), label: 1, defectType: 'abnormal', maskPath });
    }
  }
  return { category: name, root: resolve(normalDir, '..'), train, test, hasMasks };
}
