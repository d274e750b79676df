// Backbones for PatchCore: the bundled Keras networks through the shared registry
// (src/main/backbones ensureBackbone: one cache for every method, sha256-checked on load), cut at
// PatchCore's two taps and converted at the input size the preset asks for.
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ensureBackbone } from '../../backbones/registry';
import type { PreprocessSpec } from '../../models/preprocess';
import type { BackboneSource } from '../types';
import type { PresetName } from './types';

export type PatchCoreBackboneId = 'mobilenet_v2' | 'inception_v3';

interface BackboneDefaults {
  /** Finer tap (nominal stride 8) first, then the stride-16 tap. */
  taps: [string, string];
  inputSize: number;
  /** Shorter side before the centre crop; 0 = squash the whole frame to inputSize (see below). */
  resize: number;
}

/**
 * Defaults chosen on the shared real datasets (magnetic_tile, deeppcb; docs/benchmarks.md "What
 * moved PatchCore's AUROC"). resize 0: the whole frame is squashed to the input. Resize-256 +
 * centre-crop-224 (the MVTec recipe) cuts the ends off elongated parts (magnetic tiles are up to
 * 2.5:1) and the border of PCBs, i.e. exactly where break/fray defects sit: it measured worse
 * (`station eval … --center-crop` against the same command without it, docs/benchmarks.md
 * "Evaluation").
 */
export const BACKBONE_DEFAULTS: Record<PatchCoreBackboneId, BackboneDefaults> = {
  mobilenet_v2: { taps: ['block_6_expand_relu', 'block_10_expand_relu'], inputSize: 224, resize: 0 },
  inception_v3: { taps: ['mixed2', 'mixed5'], inputSize: 299, resize: 0 },
};

/**
 * Input size per preset where it differs from the backbone's default. Stride-8 features of a
 * 224-px input see 8-px cells of a 256-px image; DeepPCB's defects are a few pixels wide and
 * vanish in them. A larger input (the graph is fully convolutional, converted at that size) makes
 * the cells finer. docs/benchmarks.md "Evaluation" (`npm run station -- eval --data
 * ../shared/data/deeppcb --out DIR --train-limit 200 --preset fine`, and `fast` for comparison):
 * deeppcb image / pixel AUROC 72.1 / 85.7 against 56.0 / 71.4, at a fit of 66.6 s against 8.8 s
 * and 69.2 ms against 13.2 ms mean latency. A smaller bank (0.25 %) fitted faster but lost
 * accuracy in a one-off comparison ("What moved PatchCore's AUROC"), so fine keeps a 1 % bank.
 */
export const PRESET_INPUT_SIZE: Partial<Record<PresetName, Partial<Record<PatchCoreBackboneId, number>>>> = {
  fine: { mobilenet_v2: 448, inception_v3: 448 },
};

export interface PatchCoreBackboneOptions {
  taps?: [string, string];
  /**
   * The converted-backbone cache: either the data cache root (ensureBackbone's cacheDir) or its
   * `backbones` sub-folder, which is what callers have always passed; both land in the same
   * folder, shared with `station models` and the other methods. Default: a folder in tmpdir.
   */
  cacheDir?: string;
  /** Picks the input size (PRESET_INPUT_SIZE) unless inputSize is given. */
  preset?: PresetName;
  inputSize?: number;
  preprocess?: Partial<PreprocessSpec>;
}

function cacheRoot(dir: string | undefined): string {
  if (!dir) return join(tmpdir(), 'inspection-station-cache');
  return basename(dir) === 'backbones' ? dirname(dir) : dir;
}

export async function patchcoreBackbone(
  id: PatchCoreBackboneId,
  opts: PatchCoreBackboneOptions = {},
): Promise<BackboneSource> {
  const d = BACKBONE_DEFAULTS[id];
  if (!d)
    throw new Error(`unknown PatchCore backbone '${id}' (${Object.keys(BACKBONE_DEFAULTS).join(', ')})`);
  const taps = opts.taps ?? d.taps;
  const size =
    opts.inputSize ?? (opts.preset ? PRESET_INPUT_SIZE[opts.preset]?.[id] : undefined) ?? d.inputSize;
  const { path, descriptor } = await ensureBackbone(id, cacheRoot(opts.cacheDir), {
    taps: [...taps],
    inputSize: [size, size],
  });
  const [fine, coarse] = taps.map((name) => {
    const t = descriptor.taps.find((x) => x.name === name);
    if (!t) throw new Error(`backbone '${id}' has no tap '${name}'`);
    return t;
  });
  // PatchCore's aggregation upsamples the coarse map onto the fine grid: the pair must be stride
  // 8 and 16 (valid-padded InceptionV3 is 35 and 17 at 299 px, hence the tolerance).
  if (Math.abs(size / 8 - fine.size[0]) > 3 || Math.abs(size / 16 - coarse.size[0]) > 2) {
    throw new Error(
      `taps ${taps.join(', ')} are ${fine.size[0]} and ${coarse.size[0]} px wide at ${size} px input: not stride 8 and 16`,
    );
  }
  return {
    id,
    model: path,
    inputName: descriptor.inputName,
    taps: [
      { name: fine.name, stride: 8, channels: fine.channels, size: fine.size[0] },
      { name: coarse.name, stride: 16, channels: coarse.channels, size: coarse.size[0] },
    ],
    preprocess: {
      resize: d.resize,
      crop: size,
      mean: descriptor.mean,
      std: descriptor.std,
      channelOrder: descriptor.channelOrder,
      ...opts.preprocess,
    },
  };
}
