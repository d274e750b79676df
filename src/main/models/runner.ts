// Generic runner for model packages: a folder with model.onnx (input N×3×H×W float, outputs
// pred_score and anomaly_map) and either our model.json or, for anomalib exports, an optional
// metadata.json. The live loop uses only this, whatever method produced the model.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSession, float32Tensor, type ProviderName, type SessionHandle } from '../runtime';
import { preprocessBatch, type ImageInput, type PreprocessSpec } from './preprocess';
import {
  anomalibMetadataSchema,
  modelJsonSchema,
  normaliseScore,
  type AnomalibMetadata,
  type ModelJson,
} from './schema';

export type ModelPackageErrorCode =
  'missing_file' | 'invalid_metadata' | 'invalid_onnx' | 'incompatible_io' | 'bad_input';

export class ModelPackageError extends Error {
  constructor(
    readonly code: ModelPackageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelPackageError';
  }
}

export interface ModelOutput {
  rawScore: number;
  normScore: number;
  /** width × height, row-major, raw (unnormalised) map values; null for an image-level model. */
  map: Float32Array | null;
  width: number;
  height: number;
}

export interface RunnerInfo {
  kind: 'native' | 'anomalib';
  dir: string;
  method: string;
  inputName: string;
  scoreOutput: string;
  /** null: the package declares no map (image-level method): scores only, never a heatmap. */
  mapOutput: string | null;
  width: number;
  height: number;
  preprocess: PreprocessSpec;
  normalisation: ModelJson['normalisation'];
  thresholds: ModelJson['thresholds'];
  /** Our model.json (native packages). */
  meta?: ModelJson;
  anomalib?: AnomalibMetadata;
  provider: ProviderName;
}

export interface LoadOptions {
  providerOrder?: ProviderName[];
  intraOpNumThreads?: number;
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelPackageError('invalid_metadata', `${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function zodMessage(path: string, error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const parts = error.issues
    .slice(0, 6)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return `${path} does not describe a model package: ${parts.join('; ')}`;
}

type Dims = readonly (number | string)[];

function ioShape(
  handle: SessionHandle,
  kind: 'input' | 'output',
  name: string,
): { type: string; shape: Dims } | null {
  const list = kind === 'input' ? handle.session.inputMetadata : handle.session.outputMetadata;
  const m = list.find((x) => x.name === name);
  if (!m) return null;
  return m.isTensor ? { type: m.type, shape: m.shape } : { type: 'non-tensor', shape: [] };
}

const fixed = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

export class ModelRunner {
  private constructor(
    readonly info: RunnerInfo,
    private readonly handle: SessionHandle,
  ) {}

  static async load(dir: string, opts: LoadOptions = {}): Promise<ModelRunner> {
    const onnxPath = join(dir, 'model.onnx');
    if (!existsSync(dir)) throw new ModelPackageError('missing_file', `model folder ${dir} does not exist`);
    if (!existsSync(onnxPath))
      throw new ModelPackageError('missing_file', `model package ${dir} has no model.onnx`);
    const jsonPath = join(dir, 'model.json');
    const anomalibPath = join(dir, 'metadata.json');
    let meta: ModelJson | undefined;
    let anomalib: AnomalibMetadata | undefined;
    if (existsSync(jsonPath)) {
      const parsed = modelJsonSchema.safeParse(await readJson(jsonPath));
      if (!parsed.success)
        throw new ModelPackageError('invalid_metadata', zodMessage(jsonPath, parsed.error));
      meta = parsed.data;
    } else if (existsSync(anomalibPath)) {
      const parsed = anomalibMetadataSchema.safeParse(await readJson(anomalibPath));
      if (!parsed.success)
        throw new ModelPackageError('invalid_metadata', zodMessage(anomalibPath, parsed.error));
      anomalib = parsed.data;
    }
    if ((await stat(onnxPath)).size === 0)
      throw new ModelPackageError('invalid_onnx', `${onnxPath} is empty`);

    let handle: SessionHandle;
    try {
      handle = await createSession(onnxPath, {
        providerOrder: opts.providerOrder ?? ['cpu'],
        intraOpNumThreads: opts.intraOpNumThreads,
      });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ModelPackageError('invalid_onnx', `${onnxPath} could not be loaded by ONNX Runtime: ${why}`, {
        cause: e,
      });
    }
    try {
      const info = validateIo(handle, dir, meta, anomalib);
      return new ModelRunner(info, handle);
    } catch (e) {
      await handle.session.release();
      throw e;
    }
  }

  async release(): Promise<void> {
    await this.handle.session.release();
  }

  /** Runs an already normalised N×3×H×W batch. */
  async runTensor(input: Float32Array, n: number): Promise<ModelOutput[]> {
    const { width: w, height: h } = this.info;
    if (input.length !== n * 3 * h * w) {
      throw new ModelPackageError(
        'bad_input',
        `input has ${input.length} values; ${n}×3×${h}×${w} needs ${n * 3 * h * w}`,
      );
    }
    const mapOutput = this.info.mapOutput;
    const out = await this.handle.session.run(
      { [this.info.inputName]: float32Tensor(input, [n, 3, h, w]) },
      mapOutput ? [this.info.scoreOutput, mapOutput] : [this.info.scoreOutput],
    );
    const scores = out[this.info.scoreOutput];
    const maps = mapOutput ? out[mapOutput] : null;
    if (scores.type !== 'float32' || (maps && maps.type !== 'float32'))
      throw new ModelPackageError('incompatible_io', 'model outputs are not float32');
    if (scores.data.length !== n)
      throw new ModelPackageError(
        'incompatible_io',
        `${this.info.scoreOutput} has ${scores.data.length} values for ${n} images`,
      );
    if (maps && maps.data.length !== n * h * w) {
      throw new ModelPackageError(
        'incompatible_io',
        `${mapOutput} has shape [${maps.dims.join(',')}], expected ${n}×1×${h}×${w}`,
      );
    }
    const s = scores.data as Float32Array;
    const m = maps ? (maps.data as Float32Array) : null;
    return Array.from({ length: n }, (_, i) => ({
      rawScore: s[i],
      normScore: normaliseScore(s[i], this.info.normalisation),
      map: m ? m.slice(i * h * w, (i + 1) * h * w) : null,
      width: w,
      height: h,
    }));
  }

  async scoreBatch(images: ImageInput[]): Promise<ModelOutput[]> {
    if (images.length === 0) return [];
    const x = await preprocessBatch(images, this.info.preprocess);
    return this.runTensor(x, images.length);
  }

  async score(image: ImageInput): Promise<ModelOutput> {
    return (await this.scoreBatch([image]))[0];
  }
}

export function loadModelPackage(dir: string, opts: LoadOptions = {}): Promise<ModelRunner> {
  return ModelRunner.load(dir, opts);
}

function validateIo(
  handle: SessionHandle,
  dir: string,
  meta: ModelJson | undefined,
  anomalib: AnomalibMetadata | undefined,
): RunnerInfo {
  const inputs = handle.session.inputNames;
  let inputName: string;
  if (meta) {
    inputName = meta.input.name;
    if (!inputs.includes(inputName))
      throw new ModelPackageError(
        'incompatible_io',
        `model.onnx has no input '${inputName}' (inputs: ${inputs.join(', ')})`,
      );
  } else {
    // anomalib names its input 'input' in recent versions and differently in older ones.
    if (inputs.length !== 1)
      throw new ModelPackageError(
        'incompatible_io',
        `expected one image input, model.onnx has ${inputs.length} (${inputs.join(', ')})`,
      );
    inputName = inputs[0];
  }
  const scoreOutput = meta?.outputs.score ?? 'pred_score';
  // A native package may declare no map (null); anomalib exports always carry one.
  const mapOutput = meta ? meta.outputs.map : 'anomaly_map';
  for (const o of mapOutput ? [scoreOutput, mapOutput] : [scoreOutput]) {
    if (!handle.session.outputNames.includes(o)) {
      throw new ModelPackageError(
        'incompatible_io',
        `model.onnx has no output '${o}' (outputs: ${handle.session.outputNames.join(', ')})`,
      );
    }
  }
  const inp = ioShape(handle, 'input', inputName)!;
  if (inp.type !== 'float32' || inp.shape.length !== 4) {
    throw new ModelPackageError(
      'incompatible_io',
      `input '${inputName}' must be float32 N×3×H×W, is ${inp.type} [${inp.shape.join(',')}]`,
    );
  }
  if (fixed(inp.shape[1]) !== null && inp.shape[1] !== 3)
    throw new ModelPackageError(
      'incompatible_io',
      `input '${inputName}' has ${inp.shape[1]} channels, expected 3`,
    );

  let width: number;
  let height: number;
  if (meta) {
    width = meta.input.width;
    height = meta.input.height;
  } else {
    const size = anomalib?.image_size;
    const fromMeta = size === undefined ? null : typeof size === 'number' ? [size, size] : size;
    const h = fixed(inp.shape[2]) ?? fromMeta?.[0] ?? null;
    const w = fixed(inp.shape[3]) ?? fromMeta?.[1] ?? null;
    if (h === null || w === null)
      throw new ModelPackageError(
        'incompatible_io',
        `input '${inputName}' has dynamic H×W and metadata.json gives no image_size`,
      );
    height = h;
    width = w;
  }
  const h2 = fixed(inp.shape[2]);
  const w2 = fixed(inp.shape[3]);
  if ((h2 !== null && h2 !== height) || (w2 !== null && w2 !== width)) {
    throw new ModelPackageError(
      'incompatible_io',
      `model.json says ${width}×${height} but model.onnx input is [${inp.shape.join(',')}]`,
    );
  }

  const sc = ioShape(handle, 'output', scoreOutput)!;
  if (sc.type !== 'float32' || !(sc.shape.length === 1 || (sc.shape.length === 2 && sc.shape[1] === 1))) {
    throw new ModelPackageError(
      'incompatible_io',
      `output '${scoreOutput}' must be float32 [N] or [N,1], is ${sc.type} [${sc.shape.join(',')}]`,
    );
  }
  if (mapOutput) checkMapOutput(handle, mapOutput, width, height);

  if (meta) {
    return {
      kind: 'native',
      dir,
      method: meta.method,
      inputName,
      scoreOutput,
      mapOutput,
      width,
      height,
      preprocess: {
        resize: meta.input.resize,
        crop: width,
        mean: meta.input.mean,
        std: meta.input.std,
        channelOrder: meta.input.channelOrder,
      },
      normalisation: meta.normalisation,
      thresholds: meta.thresholds,
      meta,
      provider: handle.provider,
    };
  }
  if (width !== height)
    throw new ModelPackageError(
      'incompatible_io',
      `non-square inputs (${width}×${height}) are not supported yet`,
    );
  // anomalib ≥1.0 bakes resizing/normalisation into the exported graph and outputs scores already
  // normalised with its threshold at 0.5; older exports carry min/max in metadata.json.
  const min = anomalib?.pred_scores?.min ?? anomalib?.min ?? 0;
  const max = anomalib?.pred_scores?.max ?? anomalib?.max ?? 1;
  const norm = { method: 'minmax' as const, min, max };
  const t = anomalib?.image_threshold !== undefined ? normaliseScore(anomalib.image_threshold, norm) : 0.5;
  return {
    kind: 'anomalib',
    dir,
    method: 'anomalib',
    inputName,
    scoreOutput,
    mapOutput,
    width,
    height,
    preprocess: { resize: 0, crop: width, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB' },
    normalisation: norm,
    thresholds: { t1: t, t2: t },
    anomalib,
    provider: handle.provider,
  };
}

function checkMapOutput(handle: SessionHandle, mapOutput: string, width: number, height: number): void {
  const mp = ioShape(handle, 'output', mapOutput)!;
  const spatial = mp.shape.slice(-2);
  const okRank =
    mp.shape.length === 4 ? fixed(mp.shape[1]) === null || mp.shape[1] === 1 : mp.shape.length === 3;
  const okSize = spatial.every((d, i) => fixed(d) === null || d === (i === 0 ? height : width));
  if (mp.type !== 'float32' || !okRank || !okSize) {
    throw new ModelPackageError(
      'incompatible_io',
      `output '${mapOutput}' must be float32 N×1×${height}×${width}, is ${mp.type} [${mp.shape.join(',')}]`,
    );
  }
}
