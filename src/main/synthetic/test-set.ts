// Synthetic test sets from good images only: for a new line with no real defects yet, this gives
// a first image/pixel AUROC and a threshold sanity check. Item i depends only on (seed, i, inputs),
// not on the items before it, so a set can be regenerated partially or in parallel.

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { decodeImage, encodePng } from '../imaging';
import type { AppliedAugmentation } from './augment';
import type { RgbPixels } from './pixels';
import { createRng, deriveSeed } from '../util/rng';
import { synthesizeAnomaly, type SynthesizeOptions } from './synthesize';

export interface SyntheticSetOptions {
  seed: number;
  /** Number of samples (default: one per good image); good image i % n is the base of sample i. */
  count?: number;
  /** Exact fraction of samples left clean (label 0), chosen by a seeded shuffle. Default 0.5. */
  cleanFraction?: number;
  /** Options passed to synthesizeAnomaly (cleanProbability is ignored: cleanFraction decides). */
  synth?: Omit<SynthesizeOptions, 'cleanProbability'>;
}

export interface SyntheticSample {
  index: number;
  baseIndex: number;
  /** Index into textures, or into goods when no textures were given; -1 for clean samples. */
  textureIndex: number;
  image: { data: Uint8Array; width: number; height: number; channels: 3 };
  mask: Uint8Array;
  label: 0 | 1;
  beta: number;
  augmentations: AppliedAugmentation[];
}

interface Plan {
  baseIndex: number;
  clean: boolean;
  textureIndex: number;
  seed: number;
}

function plan(nGoods: number, nTextures: number, opts: SyntheticSetOptions): Plan[] {
  const count = opts.count ?? nGoods;
  const cleanFraction = opts.cleanFraction ?? 0.5;
  if (nGoods === 0) throw new Error('a synthetic set needs at least one good image');
  if (!(cleanFraction >= 0 && cleanFraction <= 1))
    throw new RangeError(`cleanFraction must be in [0, 1], got ${cleanFraction}`);
  const rng = createRng(opts.seed);
  const nClean = Math.round(count * cleanFraction);
  const cleanSet = new Set(rng.choose(count, nClean));
  const out: Plan[] = [];
  for (let i = 0; i < count; i++) {
    const baseIndex = i % nGoods;
    const seed = deriveSeed(opts.seed, i);
    let textureIndex = -1;
    if (!cleanSet.has(i)) {
      const tr = createRng(seed ^ 0x5bd1e995);
      if (nTextures > 0) textureIndex = tr.int(nTextures);
      else if (nGoods === 1) textureIndex = 0;
      else {
        // Another good image: a texture from the same line is the hardest (most realistic) case.
        textureIndex = tr.int(nGoods - 1);
        if (textureIndex >= baseIndex) textureIndex++;
      }
    }
    out.push({ baseIndex, clean: cleanSet.has(i), textureIndex, seed });
  }
  return out;
}

function sampleFrom(
  p: Plan,
  index: number,
  base: RgbPixels,
  texture: RgbPixels | null,
  opts: SyntheticSetOptions,
): SyntheticSample {
  if (p.clean) {
    return {
      index,
      baseIndex: p.baseIndex,
      textureIndex: -1,
      image: { data: base.data.slice(), width: base.width, height: base.height, channels: 3 },
      mask: new Uint8Array(base.width * base.height),
      label: 0,
      beta: 0,
      augmentations: [],
    };
  }
  const s = synthesizeAnomaly(base, texture, p.seed, { ...opts.synth, cleanProbability: 0 });
  return {
    index,
    baseIndex: p.baseIndex,
    textureIndex: p.textureIndex,
    image: s.image,
    mask: s.mask,
    label: s.label,
    beta: s.beta,
    augmentations: s.augmentations,
  };
}

/** In-memory synthetic set. `textures` (e.g. a texture library) replaces other good images as sources. */
export function makeSyntheticSet(
  goods: readonly RgbPixels[],
  opts: SyntheticSetOptions,
  textures: readonly RgbPixels[] = [],
): SyntheticSample[] {
  return plan(goods.length, textures.length, opts).map((p, i) => {
    const tex =
      p.textureIndex < 0 ? null : textures.length ? textures[p.textureIndex] : goods[p.textureIndex];
    return sampleFrom(p, i, goods[p.baseIndex], tex, opts);
  });
}

export interface WriteSyntheticOptions extends SyntheticSetOptions {
  /** Copied to train/good so the folder is a complete MVTec category. */
  trainPaths?: readonly string[];
  texturePaths?: readonly string[];
  /** Folder name under test/ and ground_truth/. Default "synthetic". */
  defectType?: string;
}

export interface WrittenSyntheticSet {
  dir: string;
  nGood: number;
  nDefect: number;
}

/**
 * Writes a synthetic test set in the MVTec AD layout (test/good, test/<defectType>,
 * ground_truth/<defectType>/<name>_mask.png with 0/255), readable by readMvtecCategory. Images are
 * decoded one at a time, so memory stays at a couple of images however large the set.
 */
export async function writeSyntheticDataset(
  goodPaths: readonly string[],
  outDir: string,
  opts: WriteSyntheticOptions,
): Promise<WrittenSyntheticSet> {
  const type = opts.defectType ?? 'synthetic';
  const textures = opts.texturePaths ?? [];
  const plans = plan(goodPaths.length, textures.length, opts);
  const dirs = {
    good: join(outDir, 'test', 'good'),
    bad: join(outDir, 'test', type),
    gt: join(outDir, 'ground_truth', type),
    train: join(outDir, 'train', 'good'),
  };
  for (const d of [dirs.good, dirs.bad, dirs.gt]) await mkdir(d, { recursive: true });
  if (opts.trainPaths?.length) {
    await mkdir(dirs.train, { recursive: true });
    for (const p of opts.trainPaths) await copyFile(p, join(dirs.train, basename(p)));
  }
  const digits = String(plans.length - 1).length;
  let nGood = 0;
  let nDefect = 0;
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i];
    const base = await decodeImage(goodPaths[p.baseIndex]);
    const texPath =
      p.textureIndex < 0 ? null : textures.length ? textures[p.textureIndex] : goodPaths[p.textureIndex];
    const tex = texPath ? await decodeImage(texPath) : null;
    const s = sampleFrom(p, i, base, tex, opts);
    // Keep the base file's name in the output name so a reviewer can find the original.
    const name = `${String(i).padStart(digits, '0')}_${basename(goodPaths[p.baseIndex], extname(goodPaths[p.baseIndex]))}`;
    const png = await encodePng(s.image);
    if (s.label === 0) {
      await writeFile(join(dirs.good, `${name}.png`), png);
      nGood++;
    } else {
      await writeFile(join(dirs.bad, `${name}.png`), png);
      const m = new Uint8Array(s.mask.length);
      for (let k = 0; k < m.length; k++) m[k] = s.mask[k] ? 255 : 0;
      await writeFile(
        join(dirs.gt, `${name}_mask.png`),
        await encodePng({ data: m, width: base.width, height: base.height, channels: 1 }),
      );
      nDefect++;
    }
  }
  return { dir: outDir, nGood, nDefect };
}
