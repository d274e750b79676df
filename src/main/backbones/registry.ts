// Backbone descriptors and the on-disk cache of converted models. Bundled backbones are converted
// from the Keras weights in the nsfwjs package on first use and never committed; imported ONNX
// backbones are cut at their taps once and cached the same way.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeModel } from '../onnx/serialize';
import { convertKerasModel } from './keras';
import { loadNsfwjsModel, nsfwjsPackageVersion, nsfwjsWeights, type NsfwjsVariant } from './nsfwjs';

/**
 * Bump when the converter's output or the descriptor changes, so cached files are regenerated.
 * 2: bundled Keras backbones take [0, 1] input (cached v1 descriptors say mean = std = 0.5).
 */
export const CONVERTER_VERSION = 2;

export interface BackboneTap {
  /** Graph output name (the Keras layer name, or the tensor name in an imported model). */
  name: string;
  /** Nominal stride: input size / feature size rounded to a power of two (InceptionV3: 299/35 → 8). */
  stride: number;
  channels: number;
  /** Feature map [h, w] at the descriptor's inputSize. */
  size: [number, number];
}

export type BackboneSource = `nsfwjs-${NsfwjsVariant}` | 'onnx-import';

export interface BackboneDescriptor {
  id: string;
  source: BackboneSource;
  /** File name of the ONNX model inside `<cacheDir>/backbones`. */
  file: string;
  /** Name of the single float input, N×3×H×W. */
  inputName: string;
  inputSize: [number, number];
  layout: 'NCHW';
  channelOrder: 'RGB';
  /**
   * Normalisation in [0,1] pixel units: feed (pixel/255 − mean)/std. For the bundled Keras
   * backbones this is mean = 0, std = 1, i.e. pixel/255, what nsfwjs itself feeds (see KERAS_NORM).
   */
  mean: [number, number, number];
  std: [number, number, number];
  /** Range of the values the network expects after normalisation. */
  valueRange: [number, number];
  taps: BackboneTap[];
  /** sha256 (hex) of the ONNX file; checked on every load. */
  sha256: string;
  /** Where the weights come from and any caveat, for model metadata and the UI. */
  notes: string;
  converterVersion: number;
}

export interface BundledBackbone {
  id: string;
  variant: NsfwjsVariant;
  inputSize: [number, number];
  defaultTaps: string[];
  /** Known good taps with their nominal strides and channels (verified by shapes in tests). */
  knownTaps: Array<{ name: string; stride: number; channels: number }>;
  notes: string;
}

/**
 * [0, 1], not Keras' ImageNet `preprocess_input` range [-1, 1]. The nsfwjs networks were fine-tuned
 * on [0, 1] inputs and the "frozen" layers' BatchNorm statistics evidently followed them: PatchCore
 * on the shared real datasets scored clearly better with [0, 1] than with [-1, 1], everything else
 * equal (a one-off comparison, recorded with its caveats in docs/benchmarks.md "What moved
 * PatchCore's AUROC"; no command in the repository switches the range back).
 */
const KERAS_NORM = {
  mean: [0, 0, 0] as [number, number, number],
  std: [1, 1, 1] as [number, number, number],
  valueRange: [0, 1] as [number, number],
};

export const BUNDLED_BACKBONES: Record<string, BundledBackbone> = {
  mobilenet_v2: {
    id: 'mobilenet_v2',
    variant: 'mobilenet_v2',
    inputSize: [224, 224],
    // block_6_expand_relu is the 1×1 expansion of block_5's output, still at stride 8 (the stride-2
    // depthwise comes after it); block_10_expand_relu is at stride 16. The tap comparison on the
    // shared sets (command and figures): docs/benchmarks.md "What moved PatchCore's AUROC".
    defaultTaps: ['block_6_expand_relu', 'block_10_expand_relu'],
    knownTaps: [
      { name: 'block_5_add', stride: 8, channels: 32 },
      { name: 'block_5_expand_relu', stride: 8, channels: 192 },
      { name: 'block_6_expand_relu', stride: 8, channels: 192 },
      { name: 'block_10_project_BN', stride: 16, channels: 96 },
      { name: 'block_10_expand_relu', stride: 16, channels: 384 },
    ],
    notes:
      'Keras MobileNetV2 (alpha 1.0) from nsfwjs 4.x; layers before block_11 were frozen during the NSFW fine-tune, so their convolutions are the Keras ImageNet weights, uint8-quantised. Fed [0,1] like nsfwjs does: measured clearly better than the Keras ImageNet range [-1,1] (see KERAS_NORM).',
  },
  inception_v3: {
    id: 'inception_v3',
    variant: 'inception_v3',
    inputSize: [299, 299],
    defaultTaps: ['mixed2', 'mixed5'],
    knownTaps: [
      { name: 'mixed2', stride: 8, channels: 288 },
      { name: 'mixed5', stride: 16, channels: 768 },
    ],
    notes:
      'Keras InceptionV3 from nsfwjs 4.x; layers before mixed6 were frozen during the NSFW fine-tune (Keras ImageNet weights, uint8-quantised). Feature maps are 35×35 and 17×17 at 299 px (nominal strides 8 and 16).',
  },
};

export function nominalStride(inputSize: number, featureSize: number): number {
  return 2 ** Math.round(Math.log2(inputSize / featureSize));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  // Same-directory rename, so a crash or a concurrent reader never sees a half-written file.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export interface EnsureOptions {
  /** Tap layer names; default: the backbone's defaultTaps. */
  taps?: string[];
  /** [h, w]; default: the backbone's native size. The converted graph has fixed spatial size. */
  inputSize?: [number, number];
}

export interface EnsuredBackbone {
  path: string;
  descriptor: BackboneDescriptor;
  /** True when the file was (re)generated by this call. */
  generated: boolean;
}

function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
}

/** Reads a cached descriptor and checks its file's hash; undefined when missing or tampered. */
function readVerified(
  dir: string,
  metaPath: string,
): { path: string; descriptor: BackboneDescriptor } | undefined {
  if (!existsSync(metaPath)) return undefined;
  let d: BackboneDescriptor;
  try {
    d = JSON.parse(readFileSync(metaPath, 'utf8')) as BackboneDescriptor;
  } catch {
    return undefined;
  }
  const path = join(dir, d.file);
  if (!existsSync(path)) return undefined;
  if (sha256Hex(readFileSync(path)) !== d.sha256) return undefined;
  return { path, descriptor: d };
}

export function backboneCacheDir(cacheDir: string): string {
  return join(cacheDir, 'backbones');
}

/**
 * Returns a converted backbone from the cache, converting it first when missing or when its
 * sha256 no longer matches. Imported (non-bundled) ids are looked up in the cache only.
 */
export async function ensureBackbone(
  id: string,
  cacheDir: string,
  opts: EnsureOptions = {},
): Promise<EnsuredBackbone> {
  const dir = backboneCacheDir(cacheDir);
  const spec = BUNDLED_BACKBONES[id];
  if (!spec) {
    const imported = readVerified(dir, join(dir, `${id}.imported.json`));
    if (imported) return { ...imported, generated: false };
    const known = Object.keys(BUNDLED_BACKBONES).join(', ');
    if (existsSync(join(dir, `${id}.imported.json`))) {
      throw new Error(
        `imported backbone '${id}' failed its sha256 check (file changed or missing); import it again`,
      );
    }
    throw new Error(`unknown backbone '${id}' (bundled: ${known}; others must be imported first)`);
  }
  const taps = opts.taps ?? spec.defaultTaps;
  const inputSize = opts.inputSize ?? spec.inputSize;
  // The key pins the weights (package version), the cut and the converter, so any change converts anew.
  const key = cacheKey({
    id,
    variant: spec.variant,
    nsfwjs: nsfwjsPackageVersion(),
    taps,
    inputSize,
    v: CONVERTER_VERSION,
  });
  const base = `${id}-${key}`;
  const metaPath = join(dir, `${base}.json`);
  const cached = readVerified(dir, metaPath);
  if (cached) return { ...cached, generated: false };

  const m = loadNsfwjsModel(spec.variant);
  const converted = convertKerasModel(m.topology.model_config.config, nsfwjsWeights(m), {
    taps,
    inputSize,
    name: id,
  });
  const tapsOut: BackboneTap[] = converted.taps.map((t) => {
    const [, c, h, w] = t.shape;
    if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
      throw new Error(`tap '${t.name}' of '${id}' has a non-static shape [${t.shape.join(',')}]`);
    }
    return { name: t.name, channels: c, size: [h, w], stride: nominalStride(inputSize[0], h) };
  });
  const model = converted.graph.toModelProto({
    metadata: {
      backbone: id,
      source: `nsfwjs-${spec.variant}@${m.packageVersion}`,
      taps: taps.join(','),
      converter: String(CONVERTER_VERSION),
    },
  });
  const bytes = serializeModel(model);
  mkdirSync(dir, { recursive: true });
  const file = `${base}.onnx`;
  writeAtomic(join(dir, file), bytes);
  const descriptor: BackboneDescriptor = {
    id,
    source: `nsfwjs-${spec.variant}`,
    file,
    inputName: 'input',
    inputSize,
    layout: 'NCHW',
    channelOrder: 'RGB',
    ...KERAS_NORM,
    taps: tapsOut,
    sha256: sha256Hex(bytes),
    notes: spec.notes,
    converterVersion: CONVERTER_VERSION,
  };
  writeAtomic(metaPath, JSON.stringify(descriptor, null, 2));
  return { path: join(dir, file), descriptor, generated: true };
}

export { writeAtomic as writeFileAtomic };
