// `station synth-sheet`: a contact sheet (PNG) of the anomalies DRAEM trains on, from a folder of
// good images: per sample the good image, the augmented texture, the simulated anomaly and its
// mask; a JSON sidecar lists each sample's texture kind, augmentations, β and rotation.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import sharp from 'sharp';
import { textureFiles } from '../methods/draem/fit';
import { simulateSample } from '../methods/draem/simulate';
import { loadRgb } from '../models/preprocess';
import { deriveSeed, type RgbPixels } from '../synthetic';
import { CliUsageError, intOption, parseOptions, requireOption } from './args';
import type { CliCommand } from './commands';
import { imagesIn } from './fit-command';

const GAP = 4;
const PANELS = 4;

/** Copies an interleaved RGB tile into the sheet at (x, y). */
function blit(sheet: Uint8Array, sheetW: number, tile: Uint8Array, s: number, x: number, y: number): void {
  for (let r = 0; r < s; r++)
    sheet.set(tile.subarray(r * s * 3, (r + 1) * s * 3), ((y + r) * sheetW + x) * 3);
}

export interface SynthSheet {
  png: Buffer;
  samples: Record<string, unknown>[];
}

export async function synthSheet(
  images: string[],
  o: { count: number; size: number; seed: number; columns: number; textures: string[] },
): Promise<SynthSheet> {
  const s = o.size;
  const load = async (p: string): Promise<RgbPixels> => ({
    data: await loadRgb(p, { resize: 0, crop: s }),
    width: s,
    height: s,
  });
  const goods = await Promise.all(images.map(load));
  const users = await Promise.all(o.textures.map(load));
  const rows = Math.ceil(o.count / o.columns);
  const cellW = PANELS * (s + GAP) + 3 * GAP;
  const W = o.columns * cellW + GAP;
  const H = rows * (s + GAP) + GAP;
  const sheet = new Uint8Array(W * H * 3).fill(40);
  const samples: Record<string, unknown>[] = [];
  const maskRgb = new Uint8Array(s * s * 3);
  for (let i = 0; i < o.count; i++) {
    const img = i % goods.length;
    // Anomalies only (the training stream leaves half clean; those would show nothing).
    const r = simulateSample(goods[img], goods, deriveSeed(o.seed, i), {
      cleanProbability: 0,
      preRotateProbability: 0.3,
      userTextures: users,
    });
    for (let p = 0; p < s * s; p++) maskRgb.fill(r.mask[p] ? 255 : 0, p * 3, p * 3 + 3);
    const x0 = (i % o.columns) * cellW + GAP;
    const y0 = Math.floor(i / o.columns) * (s + GAP) + GAP;
    const tiles = [r.base, r.texture, r.image.data, maskRgb];
    tiles.forEach((t, k) => blit(sheet, W, t, s, x0 + k * (s + GAP), y0));
    samples.push({
      image: images[img],
      texture: r.textureKind,
      augmentations: r.augmentations.map((a) => a.name),
      beta: Number(r.beta.toFixed(3)),
      preRotation: r.preRotation === null ? null : Number(r.preRotation.toFixed(1)),
      perlin: r.perlin,
      maskFraction: Number((r.mask.reduce((a, b) => a + b, 0) / (s * s)).toFixed(4)),
    });
  }
  const png = await sharp(Buffer.from(sheet), { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
  return { png, samples };
}

export const synthSheetCommand: CliCommand = {
  name: 'synth-sheet',
  summary: 'contact sheet of the simulated anomalies DRAEM trains on (good | texture | anomaly | mask)',
  usage:
    'Usage: station synth-sheet --data DIR --out FILE.png [--count N (24)] [--size PX (128)] [--columns N (2)] [--seed N (0)] [--textures DIR]',
  async run(argv) {
    const { values } = parseOptions(argv, {
      data: { type: 'string' },
      out: { type: 'string' },
      count: { type: 'string' },
      size: { type: 'string' },
      columns: { type: 'string' },
      seed: { type: 'string' },
      textures: { type: 'string' },
    });
    const images = imagesIn(requireOption(values.data, '--data'));
    const capped = (v: string | undefined, flag: string, dflt: number, min: number, max: number): number => {
      const n = intOption(v, flag, dflt, min);
      if (n > max) throw new CliUsageError(`${flag} must be ≤ ${max}, got ${n}.`);
      return n;
    };
    const out = resolve(requireOption(values.out, '--out'));
    const sheet = await synthSheet(images, {
      count: capped(values.count, '--count', 24, 1, 400),
      size: capped(values.size, '--size', 128, 16, 1024),
      columns: capped(values.columns, '--columns', 2, 1, 16),
      seed: intOption(values.seed, '--seed', 0, 0),
      textures: values.textures ? await textureFiles(resolve(values.textures)) : [],
    });
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, sheet.png);
    const side = out.replace(/\.png$/i, '') + '.json';
    await writeFile(side, `${JSON.stringify(sheet.samples, null, 2)}\n`);
    console.log(`Wrote ${out} (${sheet.samples.length} samples) and ${side}`);
    return 0;
  },
};
