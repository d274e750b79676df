// Evaluation helpers for tests and benchmarks: MVTec-layout reader, AUROC (image and pixel).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PreprocessSpec } from '../../models/preprocess';

export interface TestItem {
  path: string;
  defect: string;
  label: 0 | 1;
  mask: string | null;
}

export interface MvtecCategory {
  name: string;
  train: string[];
  test: TestItem[];
}

const pngs = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.(png|jpe?g|bmp)$/i.test(f))
        .sort()
    : [];

export function readMvtecCategory(root: string, name: string): MvtecCategory | null {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'train', 'good'))) return null;
  const train = pngs(join(dir, 'train', 'good')).map((f) => join(dir, 'train', 'good', f));
  const test: TestItem[] = [];
  for (const defect of readdirSync(join(dir, 'test')).sort()) {
    for (const f of pngs(join(dir, 'test', defect))) {
      const maskPath = join(dir, 'ground_truth', defect, f.replace(/\.[^.]+$/, '_mask.png'));
      test.push({
        path: join(dir, 'test', defect, f),
        defect,
        label: defect === 'good' ? 0 : 1,
        mask: defect === 'good' ? null : existsSync(maskPath) ? maskPath : null,
      });
    }
  }
  return { name, train, test };
}

/** Every k-th element, evenly spread, deterministic. */
export function evenSubsample<T>(items: T[], count: number): T[] {
  if (count >= items.length) return items.slice();
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** Area under the ROC curve via the rank-sum statistic, ties counted half. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] ? 1 : 0;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (labels[idx[t]]) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Ground-truth mask resized/cropped exactly like the image (nearest), as 0/1 bytes (crop × crop). */
export async function loadMask(
  path: string | null,
  imagePath: string,
  spec: PreprocessSpec,
): Promise<Uint8Array> {
  const s = spec.crop;
  if (!path) return new Uint8Array(s * s);
  const meta = await sharp(imagePath).metadata();
  const w = meta.width!;
  const h = meta.height!;
  const k = spec.resize > 0 ? spec.resize / Math.min(w, h) : 0;
  const rw = spec.resize > 0 ? Math.max(s, Math.round(w * k)) : s;
  const rh = spec.resize > 0 ? Math.max(s, Math.round(h * k)) : s;
  const { data } = await sharp(path)
    .greyscale()
    .resize(rw, rh, { fit: 'fill', kernel: 'nearest' })
    .extract({ left: Math.floor((rw - s) / 2), top: Math.floor((rh - s) / 2), width: s, height: s })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(s * s);
  for (let i = 0; i < out.length; i++) out[i] = data[i] > 127 ? 1 : 0;
  return out;
}

/** Accumulates a pixel-level AUROC over maps, sampling every `stride`-th pixel per axis to bound memory. */
export class PixelAuroc {
  private scores: number[] = [];
  private labels: number[] = [];
  constructor(private readonly stride = 2) {}
  add(map: ArrayLike<number>, mask: Uint8Array, size: number): void {
    for (let y = 0; y < size; y += this.stride) {
      for (let x = 0; x < size; x += this.stride) {
        this.scores.push(map[y * size + x]);
        this.labels.push(mask[y * size + x]);
      }
    }
  }
  value(): number {
    return auroc(Float32Array.from(this.scores), Uint8Array.from(this.labels));
  }
}
