// Step 2 of the wizard: what is in the folders the operator named. Every image is decoded with
// the same limits the live loop uses (a file that cannot be decoded here would fail the fit
// half-way), hashed for exact duplicates, and its stored size and channel count are tallied.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import type { FolderScan, ScanIssue, ScanReport } from '@shared/training';
import { isImageFile } from '../eval/datasets';
import { naturalCompare } from '../eval/natural-sort';
import { decodeImage, MAX_DECODE_PIXELS } from '../imaging';
import { FolderError, checkFolder } from '../util/folders';

/** Below this many usable good images training is refused; below WARN_BELOW it is allowed with a warning. */
export const BLOCK_BELOW = 5;
export const WARN_BELOW = 10;
/** Same ceiling as the live loop's decoder default: bigger files are not frames from a line camera. */
export const SCAN_MAX_PIXELS = MAX_DECODE_PIXELS;
/** A scan is for a training set (10–300 images typical), not a whole archive. */
export const SCAN_MAX_FILES = 5000;

export { FolderError, checkFolder };

const MASK_RE = /_mask$/i;

export interface ScannedImage {
  path: string;
  name: string;
  sha256: string;
  width: number;
  height: number;
  channels: number;
}

export interface FolderScanResult {
  summary: FolderScan;
  /** Readable, first of each duplicate group, in natural name order: what training uses. */
  usable: ScannedImage[];
  /** Defect folders: image name → mask path. */
  masks: Map<string, string>;
}

export async function scanFolder(
  dir: string,
  opts: { kind: 'good' | 'defects'; maxPixels?: number },
): Promise<FolderScanResult> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort(naturalCompare);
  const images = files.filter((f) => isImageFile(f) && !MASK_RE.test(basename(f, extname(f))));
  if (images.length > SCAN_MAX_FILES) {
    throw new FolderError(
      `${dir} holds ${images.length} images; a training set is scanned up to ${SCAN_MAX_FILES}. Pick a smaller folder.`,
    );
  }
  const maskFiles = files.filter((f) => isImageFile(f) && MASK_RE.test(basename(f, extname(f))));
  const summary: FolderScan = {
    dir,
    imageFiles: images.length,
    readable: 0,
    usable: 0,
    unreadable: [],
    duplicates: [],
    sizes: [],
    channels: [],
    otherFiles: files.length - images.length - maskFiles.length,
    masks: 0,
    bytes: 0,
  };
  const bySha = new Map<string, string[]>();
  const sizes = new Map<string, { width: number; height: number; count: number }>();
  const channels = new Map<number, number>();
  const usable: ScannedImage[] = [];
  for (const name of images) {
    const path = join(dir, name);
    let buf: Buffer;
    try {
      buf = await fsp.readFile(path);
    } catch (err) {
      summary.unreadable.push({ file: name, reason: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    summary.bytes += buf.length;
    let width: number;
    let height: number;
    let ch: number;
    try {
      const img = await decodeImage(buf, { name, maxPixels: opts.maxPixels ?? SCAN_MAX_PIXELS });
      width = img.width;
      height = img.height;
      // decodeImage always yields RGB; the stored channel count comes from the header.
      ch = (await sharp(buf, { limitInputPixels: false }).metadata()).channels ?? 3;
    } catch (err) {
      summary.unreadable.push({
        file: name,
        reason: (err as Error).message.replace(/^Cannot decode [^:]+: /, ''),
      });
      continue;
    }
    summary.readable++;
    const sha256 = createHash('sha256').update(buf).digest('hex');
    const group = bySha.get(sha256);
    if (group) {
      group.push(name);
      continue;
    }
    bySha.set(sha256, [name]);
    const key = `${width}x${height}`;
    const s = sizes.get(key) ?? { width, height, count: 0 };
    s.count++;
    sizes.set(key, s);
    channels.set(ch, (channels.get(ch) ?? 0) + 1);
    usable.push({ path, name, sha256, width, height, channels: ch });
  }
  summary.usable = usable.length;
  summary.duplicates = [...bySha.entries()]
    .filter(([, names]) => names.length > 1)
    .map(([sha256, names]) => ({ sha256, files: names }));
  summary.sizes = [...sizes.values()].sort((a, b) => b.count - a.count);
  summary.channels = [...channels.entries()]
    .map(([c, count]) => ({ channels: c, count }))
    .sort((a, b) => b.count - a.count);

  const masks = new Map<string, string>();
  if (opts.kind === 'defects') {
    const stems = new Map(usable.map((u) => [basename(u.name, extname(u.name)), u.name]));
    for (const m of maskFiles) {
      const stem = basename(m, extname(m)).replace(MASK_RE, '');
      const img = stems.get(stem);
      if (img) masks.set(img, join(dir, m));
    }
    // MVTec layout: <cat>/test/<type>/x.png with masks in <cat>/ground_truth/<type>/x_mask.png.
    const gt = join(dirname(dirname(dir)), 'ground_truth', basename(dir));
    try {
      for (const m of await fsp.readdir(gt)) {
        const stem = basename(m, extname(m)).replace(MASK_RE, '');
        const img = stems.get(stem);
        if (img && !masks.has(img)) masks.set(img, join(gt, m));
      }
    } catch {
      // No ground_truth folder: masks are optional.
    }
    summary.masks = masks.size;
  }
  return { summary, usable, masks };
}

export interface ScanResult {
  report: ScanReport;
  good: FolderScanResult;
  defects: FolderScanResult | null;
}

export async function scanTrainingFolders(goodDir: string, defectDir?: string | null): Promise<ScanResult> {
  const t0 = performance.now();
  const g = await checkFolder(goodDir, 'The good-image folder');
  const d = defectDir ? await checkFolder(defectDir, 'The defect folder') : null;
  if (d && d === g) throw new FolderError('The defect folder must not be the good-image folder.');
  const good = await scanFolder(g, { kind: 'good' });
  const defects = d ? await scanFolder(d, { kind: 'defects' }) : null;
  const issues = assessScan(good.summary, defects?.summary ?? null);
  return {
    report: {
      good: good.summary,
      defects: defects?.summary ?? null,
      issues,
      canTrain: !issues.some((i) => i.level === 'block'),
      scannedAt: new Date().toISOString(),
      ms: Math.round(performance.now() - t0),
    },
    good,
    defects,
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The findings the operator sees, most serious first. */
export function assessScan(good: FolderScan, defects: FolderScan | null): ScanIssue[] {
  const issues: ScanIssue[] = [];
  if (good.usable < BLOCK_BELOW) {
    issues.push({
      level: 'block',
      code: 'too_few',
      message: `${plural(good.usable, 'usable good image')}: at least ${BLOCK_BELOW} are needed to train, ${WARN_BELOW}–300 is typical.`,
    });
  } else if (good.usable < WARN_BELOW) {
    issues.push({
      level: 'warn',
      code: 'few',
      message: `Only ${plural(good.usable, 'usable good image')}: the model will work but its thresholds rest on very few held-out parts. ${WARN_BELOW} or more is better.`,
    });
  }
  for (const [scan, what] of [
    [good, 'good'],
    [defects, 'defect'],
  ] as const) {
    if (!scan) continue;
    if (scan.unreadable.length > 0) {
      issues.push({
        level: 'warn',
        code: 'unreadable',
        message: `${plural(scan.unreadable.length, `${what} file`)} cannot be decoded and will be skipped.`,
      });
    }
    if (scan.duplicates.length > 0) {
      const extra = scan.duplicates.reduce((n, d) => n + d.files.length - 1, 0);
      issues.push({
        level: 'warn',
        code: 'duplicates',
        message: `${plural(extra, `${what} file`)} ${extra === 1 ? 'is an exact copy' : 'are exact copies'} of another; only one of each is used.`,
      });
    }
    if (scan.sizes.length > 1) {
      issues.push({
        level: 'warn',
        code: 'mixed_sizes',
        message: `${what === 'good' ? 'Good' : 'Defect'} images come in ${scan.sizes.length} sizes (${scan.sizes
          .slice(0, 4)
          .map((s) => `${s.width}×${s.height} ×${s.count}`)
          .join(
            ', ',
          )}). Every image is resized to the model's input, but a different camera or crop usually means a different part view.`,
      });
    }
    if (scan.channels.length > 1) {
      issues.push({
        level: 'warn',
        code: 'mixed_channels',
        message: `${what === 'good' ? 'Good' : 'Defect'} images mix ${scan.channels
          .map((c) => CHANNEL_NAMES[c.channels] ?? `${c.channels}-channel`)
          .join(' and ')} files; all are converted to RGB, which can hide a camera setting that changed.`,
      });
    }
    if (scan.otherFiles > 0) {
      issues.push({
        level: 'info',
        code: 'other_files',
        message: `${plural(scan.otherFiles, 'other file')} in the ${what} folder ${scan.otherFiles === 1 ? 'is' : 'are'} not an image and ${scan.otherFiles === 1 ? 'is' : 'are'} ignored.`,
      });
    }
  }
  const smallest = good.sizes.reduce((m, s) => Math.min(m, s.width, s.height), Infinity);
  if (Number.isFinite(smallest) && smallest < 64) {
    issues.push({
      level: 'warn',
      code: 'small_images',
      message: `Some good images are only ${smallest} px on a side; the model works at 224 px, so they are enlarged.`,
    });
  }
  if (defects && defects.usable === 0) {
    issues.push({
      level: 'warn',
      code: 'no_defects',
      message: 'The defect folder has no usable images; calibration will use synthetic defects only.',
    });
  }
  const rank = { block: 0, warn: 1, info: 2 } as const;
  return issues.sort((a, b) => rank[a.level] - rank[b.level]);
}

const CHANNEL_NAMES: Record<number, string> = { 1: 'greyscale', 2: 'greyscale+alpha', 3: 'RGB', 4: 'RGBA' };
