// Importing a user-supplied ONNX backbone (e.g. a torchvision WideResNet50 export): expose the
// named intermediate tensors as outputs, drop every node they do not need, and find each tap's
// channels and stride by running the cut model once.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../onnx/builder';
import { parseModel, serializeModel } from '../onnx/serialize';
import { createSession, float32Tensor } from '../runtime';
import {
  backboneCacheDir,
  CONVERTER_VERSION,
  nominalStride,
  sha256Hex,
  writeFileAtomic,
  type BackboneDescriptor,
  type BackboneTap,
  type EnsuredBackbone,
} from './registry';

export interface CutOptions {
  /** Names of the tensors to expose (e.g. '/layer2/layer2.3/relu_2/Relu_output_0'). */
  taps: string[];
  /** [h, w] for the dry run; required when the model's input size is symbolic (default 224×224 then). */
  inputSize?: [number, number];
}

export interface CutBackbone {
  bytes: Uint8Array;
  inputName: string;
  inputSize: [number, number];
  taps: BackboneTap[];
  keptNodes: number;
  droppedNodes: number;
  /** Shape rules that failed on the foreign graph (ORT had the final word). */
  warnings: string[];
}

export async function cutOnnxBackbone(source: Uint8Array | string, opts: CutOptions): Promise<CutBackbone> {
  const bytesIn = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
  if (opts.taps.length === 0) throw new Error('name at least one tap tensor');
  const g = GraphBuilder.fromModel(parseModel(bytesIn), { strictShapes: false });
  if (g.inputs.length !== 1) {
    throw new Error(
      `a backbone needs exactly one graph input; this model has ${g.inputs.length} (${g.inputs.map((i) => i.name).join(', ')})`,
    );
  }
  const input = g.inputs[0];
  const s = input.info.shape;
  if (input.info.dataType !== 'float32' || !s || s.length !== 4 || (typeof s[1] === 'number' && s[1] !== 3)) {
    throw new Error(
      `backbone input '${input.name}' must be float32 N×3×H×W, got ${input.info.dataType} [${s?.join(',') ?? '?'}]`,
    );
  }
  for (const t of opts.taps) {
    if (!g.values.has(t)) {
      const near = [...g.values.keys()]
        .filter((v) => v.toLowerCase().includes(t.toLowerCase().split('/').pop() ?? t))
        .slice(0, 5);
      throw new Error(
        `tap '${t}' is not a tensor of this model${near.length ? ` (similar: ${near.join(', ')})` : ''}`,
      );
    }
    if (g.inputs.some((i) => i.name === t) || g.initializers.has(t))
      throw new Error(`tap '${t}' is an input or weight, not a feature map`);
  }
  const before = g.nodes.length;
  g.pruneTo(opts.taps);

  const staticH = typeof s[2] === 'number' ? s[2] : undefined;
  const staticW = typeof s[3] === 'number' ? s[3] : undefined;
  if (
    opts.inputSize &&
    staticH &&
    staticW &&
    (opts.inputSize[0] !== staticH || opts.inputSize[1] !== staticW)
  ) {
    throw new Error(
      `model input is fixed at ${staticH}×${staticW}; inputSize ${opts.inputSize.join('×')} does not match`,
    );
  }
  const inputSize: [number, number] = [
    staticH ?? opts.inputSize?.[0] ?? 224,
    staticW ?? opts.inputSize?.[1] ?? 224,
  ];
  const batch = typeof s[0] === 'number' ? s[0] : 1;
  const bytes = serializeModel(g.toModelProto());

  // Dry run: the only reliable source of tap shapes for arbitrary exported graphs.
  const { session } = await createSession(bytes, { providerOrder: ['cpu'], intraOpNumThreads: 1 });
  try {
    const n = batch * 3 * inputSize[0] * inputSize[1];
    const out = await session.run({
      [input.name]: float32Tensor(new Float32Array(n), [batch, 3, inputSize[0], inputSize[1]]),
    });
    const taps = opts.taps.map((name): BackboneTap => {
      const dims = out[name]?.dims;
      if (!dims || dims.length !== 4)
        throw new Error(`tap '${name}' is not a 4-D N×C×H×W feature map (dims [${dims?.join(',') ?? '?'}])`);
      const [, c, h, w] = dims;
      return { name, channels: c, size: [h, w], stride: nominalStride(inputSize[0], h) };
    });
    return {
      bytes,
      inputName: input.name,
      inputSize,
      taps,
      keptNodes: g.nodes.length,
      droppedNodes: before - g.nodes.length,
      warnings: g.shapeWarnings,
    };
  } finally {
    await session.release();
  }
}

export interface ImportOptions extends CutOptions {
  id: string;
  /** Normalisation in [0,1] pixel units; default ImageNet (torchvision exports). */
  mean?: [number, number, number];
  std?: [number, number, number];
  notes?: string;
}

const IMAGENET = {
  mean: [0.485, 0.456, 0.406] as [number, number, number],
  std: [0.229, 0.224, 0.225] as [number, number, number],
};

/** Cuts and stores an external backbone in the cache so `ensureBackbone(id, cacheDir)` finds it. */
export async function importOnnxBackbone(
  source: Uint8Array | string,
  cacheDir: string,
  opts: ImportOptions,
): Promise<EnsuredBackbone> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(opts.id))
    throw new Error(`backbone id '${opts.id}' must be 1-64 letters, digits, '_', '-' or '.'`);
  const cut = await cutOnnxBackbone(source, opts);
  const sha256 = sha256Hex(cut.bytes);
  const dir = backboneCacheDir(cacheDir);
  mkdirSync(dir, { recursive: true });
  const file = `${opts.id}-${sha256.slice(0, 12)}.onnx`;
  writeFileAtomic(join(dir, file), cut.bytes);
  const mean = opts.mean ?? IMAGENET.mean;
  const std = opts.std ?? IMAGENET.std;
  const descriptor: BackboneDescriptor = {
    id: opts.id,
    source: 'onnx-import',
    file,
    inputName: cut.inputName,
    inputSize: cut.inputSize,
    layout: 'NCHW',
    channelOrder: 'RGB',
    mean,
    std,
    valueRange: [
      Math.min(...mean.map((m, i) => -m / std[i])),
      Math.max(...mean.map((m, i) => (1 - m) / std[i])),
    ],
    taps: cut.taps,
    sha256,
    notes: opts.notes ?? `imported ONNX backbone cut at ${opts.taps.join(', ')}`,
    converterVersion: CONVERTER_VERSION,
  };
  writeFileAtomic(join(dir, `${opts.id}.imported.json`), JSON.stringify(descriptor, null, 2));
  return { path: join(dir, file), descriptor, generated: true };
}
