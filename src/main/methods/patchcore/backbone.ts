// Backbones for PatchCore. Adapter over src/main/backbones (the shared ensureBackbone(id, cacheDir,
// {taps}) was not available when this was written): converts the bundled nsfwjs Keras weights
// with the shared converter and caches the ONNX file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertKerasModel, type KerasWeights } from '../../backbones/keras';
import { loadNsfwjsModel, nsfwjsWeights } from '../../backbones/nsfwjs';
import { serializeModel } from '../../onnx/serialize';
import type { BackboneSource } from './types';

export type PatchCoreBackboneId = 'mobilenet_v2' | 'inception_v3';

interface BackboneDefaults {
  taps: [string, string];
  strides: [number, number];
  inputSize: number;
  resize: number;
}

/** Taps at stride 8 and 16 (docs/architecture.md): the frozen ImageNet layers of each network. */
export const BACKBONE_DEFAULTS: Record<PatchCoreBackboneId, BackboneDefaults> = {
  mobilenet_v2: {
    taps: ['block_6_expand_relu', 'block_10_expand_relu'],
    strides: [8, 16],
    inputSize: 224,
    resize: 256,
  },
  inception_v3: { taps: ['mixed2', 'mixed5'], strides: [8, 16], inputSize: 299, resize: 342 },
};

/**
 * Keras applications' preprocess_input for both networks maps [0, 255] to [−1, 1]; the taps we
 * use sit in layers nsfwjs left frozen, i.e. they still expect that range.
 */
const KERAS_TF_NORMALISATION = {
  mean: [0.5, 0.5, 0.5] as [number, number, number],
  std: [0.5, 0.5, 0.5] as [number, number, number],
};

export async function patchcoreBackbone(
  id: PatchCoreBackboneId,
  opts: { taps?: [string, string]; cacheDir?: string } = {},
): Promise<BackboneSource> {
  const d = BACKBONE_DEFAULTS[id];
  const taps = opts.taps ?? d.taps;
  const m = loadNsfwjsModel(id);
  const key = createHash('sha256')
    .update(`${id}|${m.packageVersion}|${taps.join(',')}|${d.inputSize}|v1`)
    .digest('hex')
    .slice(0, 16);
  const file = opts.cacheDir ? join(opts.cacheDir, `${id}-${key}.onnx`) : null;
  let bytes: Uint8Array;
  let channels: number[];
  let sizes: number[];
  const metaFile = file ? `${file}.json` : null;
  if (file && metaFile && existsSync(file) && existsSync(metaFile)) {
    bytes = new Uint8Array(readFileSync(file));
    ({ channels, sizes } = JSON.parse(readFileSync(metaFile, 'utf8')) as {
      channels: number[];
      sizes: number[];
    });
  } else {
    const converted = convertKerasModel(m.topology.model_config.config, nsfwjsWeights(m) as KerasWeights, {
      taps: [...taps],
      inputSize: [d.inputSize, d.inputSize],
      inputName: 'input',
    });
    channels = converted.taps.map((t) => Number(t.shape[1]));
    sizes = converted.taps.map((t) => Number(t.shape[2]));
    if (Math.abs(d.inputSize / 8 - sizes[0]) > 3 || Math.abs(d.inputSize / 16 - sizes[1]) > 2) {
      throw new Error(
        `taps ${taps.join(', ')} are ${sizes.join(' and ')} px wide at ${d.inputSize} px input: not stride 8 and 16`,
      );
    }
    bytes = serializeModel(converted.graph.toModelProto());
    if (file && metaFile && opts.cacheDir) {
      mkdirSync(opts.cacheDir, { recursive: true });
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
      writeFileSync(metaFile, JSON.stringify({ channels, sizes }));
    }
  }
  return {
    id,
    model: bytes,
    inputName: 'input',
    taps: [
      { name: taps[0], stride: d.strides[0], channels: channels[0], size: sizes[0] },
      { name: taps[1], stride: d.strides[1], channels: channels[1], size: sizes[1] },
    ],
    preprocess: { resize: d.resize, crop: d.inputSize, ...KERAS_TF_NORMALISATION, channelOrder: 'RGB' },
  };
}
