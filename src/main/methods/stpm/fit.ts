// STPM fit: teacher features of every good image once (ONNX Runtime; the teacher is frozen), the
// student trained by the engine's SGD training-step graph, validated after every epoch on a
// held-out fifth of the good images (the lowest validation loss is kept), score normalisation
// calibrated with the exact graph that is exported.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { ensureBackbone } from '../../backbones/registry';
import { type FitOptions, StageClock, holdOut, trainingFingerprint, calibratePackageGraph } from '../common';
import {
  loadRgb,
  preprocessBatch,
  rgbToNchw,
  type ImageInput,
  type PreprocessSpec,
} from '../../models/preprocess';
import { GraphBuilder } from '../../onnx/builder';
import { parseModel, serializeModel } from '../../onnx/serialize';
import type { ModelProto } from '../../onnx/schema';
import { createSession, float32Tensor, type ort } from '../../runtime';
import { readCheckpoint, writeCheckpoint } from '../../engine/checkpoint';
import { CancelledError, runTrainingLoop } from '../../engine/loop';
import { createRng } from '../../util/rng';
import { constantLr } from '../../engine/schedule';
import { Trainer } from '../../engine/trainer';
import {
  INPUT,
  LOSS,
  buildStpmEvalGraph,
  buildStpmPackageModel,
  buildStpmTrainingStep,
  buildTeacherModel,
  distanceOutput,
  teacherInput,
  type StudentFn,
} from './graph';
import {
  resolveStpmConfig,
  type FittedStpm,
  type StpmConfig,
  type StpmPresetName,
  type StpmProgress,
  type StpmTap,
} from './types';

/** Calibration images only calibrate: validation still holds out a fifth of `images`. */
export interface FitStpmOptions extends FitOptions<StpmPresetName, StpmConfig, StpmProgress> {
  /** Folder for converted backbones (ensureBackbone's cacheDir). */
  cacheDir: string;
  /** A teacher graph instead of the bundled `config.backbone` (tests use a tiny one). */
  teacher?: CustomTeacher;
  /** The student's graph (default: the teacher's architecture; stpm2 adds attention). */
  student?: StudentFn;
  /**
   * Reconstruction training (stpm2's second pair): the student sees corrupt(rgb) of each image
   * (S × S RGB bytes, fresh every epoch; validation uses epoch −1) while the targets stay the
   * teacher's features of the clean image.
   */
  corrupt?: (rgb: Uint8Array, size: number, index: number, epoch: number) => Uint8Array;
}

/** Overwrites `set.pixels` with the preprocessed corrupt(clean) of every image. */
function corruptPixels(
  set: FeatureSet,
  clean: Uint8Array[],
  pre: PreprocessSpec,
  corrupt: NonNullable<FitStpmOptions['corrupt']>,
  epoch: number,
): void {
  clean.forEach((rgb, i) => rgbToNchw(corrupt(rgb, pre.crop, i, epoch), pre, set.pixels, i));
}

/** Seeded split into training and validation images (no validation below 5 images). */
export function holdOutForValidation<T>(images: readonly T[], cfg: StpmConfig): { fit: T[]; held: T[] } {
  return holdOut(images, undefined, {
    fraction: cfg.validationFraction,
    max: cfg.maxValidationImages,
    seed: cfg.seed,
    minImages: 5,
  });
}

/** Preprocessed images and the frozen teacher's taps, held in memory (≈1.4 MB per 256 px image). */
export interface FeatureSet {
  count: number;
  pixels: Float32Array;
  teacher: Float32Array[];
}

export interface TeacherContext {
  proto: ModelProto;
  taps: StpmTap[];
  pre: PreprocessSpec;
  inputSize: number;
}

/** A teacher given as an ONNX graph with input `input` [N, 3, S, S]; tap sizes come from its shapes. */
export interface CustomTeacher {
  id: string;
  model: Uint8Array;
  taps: { name: string; stride: number }[];
  preprocess: { mean: [number, number, number]; std: [number, number, number] };
}

function customContext(t: CustomTeacher, S: number): TeacherContext {
  const proto = parseModel(t.model);
  const g = GraphBuilder.fromModel(proto);
  const taps = t.taps.map((tap) => {
    const [, c, h, w] = g.shapeOf(tap.name) ?? [];
    if (typeof c !== 'number' || typeof h !== 'number' || h !== w)
      throw new Error(`tap ${tap.name} is not square (${h}×${w})`);
    return { name: tap.name, stride: tap.stride, channels: c, size: h };
  });
  return { proto, taps, pre: { resize: 0, crop: S, ...t.preprocess, channelOrder: 'RGB' }, inputSize: S };
}

export async function teacherContext(
  cfg: StpmConfig,
  cacheDir: string,
  custom?: CustomTeacher,
): Promise<TeacherContext> {
  const S = cfg.inputSize;
  // The recipe's three taps (strides 4, 8, 16) for the bundled teachers; a supplied teacher (the
  // conformance test's tiny backbone) may bring two, which the map combines the same way.
  const n = custom ? custom.taps.length : cfg.taps.length;
  if (custom ? n < 2 : n !== 3) throw new Error(`STPM needs three teacher taps, got ${n}`);
  if (custom) return customContext(custom, S);
  const ensured = await ensureBackbone(cfg.backbone, cacheDir, { taps: cfg.taps, inputSize: [S, S] });
  const d = ensured.descriptor;
  for (const t of d.taps)
    if (t.size[0] !== t.size[1]) throw new Error(`tap ${t.name} is not square (${t.size.join('×')})`);
  return {
    proto: parseModel(new Uint8Array(await readFile(ensured.path))),
    taps: d.taps.map((t) => ({ name: t.name, stride: t.stride, channels: t.channels, size: t.size[0] })),
    pre: { resize: 0, crop: S, mean: d.mean, std: d.std, channelOrder: 'RGB' },
    inputSize: S,
  };
}

const tapSize = (t: StpmTap) => t.channels * t.size * t.size;

export async function teacherFeatures(
  ctx: TeacherContext,
  images: ImageInput[],
  o: { batch: number; intraOpNumThreads?: number; onBatch?: (done: number) => void; cancel?: () => void },
): Promise<FeatureSet> {
  const S = ctx.inputSize;
  const px = 3 * S * S;
  const set: FeatureSet = {
    count: images.length,
    pixels: new Float32Array(images.length * px),
    teacher: ctx.taps.map((t) => new Float32Array(images.length * tapSize(t))),
  };
  if (images.length === 0) return set;
  const { session } = await createSession(serializeModel(buildTeacherModel(ctx.proto, ctx.taps)), {
    providerOrder: ['cpu'],
    intraOpNumThreads: o.intraOpNumThreads,
  });
  try {
    for (let i = 0; i < images.length; i += o.batch) {
      o.cancel?.();
      const batch = images.slice(i, i + o.batch);
      const x = await preprocessBatch(batch, ctx.pre);
      set.pixels.set(x, i * px);
      const out = await session.run({ [INPUT]: float32Tensor(x, [batch.length, 3, S, S]) });
      ctx.taps.forEach((t, k) => set.teacher[k].set(out[t.name].data as Float32Array, i * tapSize(t)));
      o.onBatch?.(Math.min(i + o.batch, images.length));
    }
  } finally {
    await session.release();
  }
  return set;
}

/** The student in eval mode (running BN statistics) on a feature set: mean loss and per-tap maps. */
export class StpmEvaluator {
  private constructor(
    private readonly handle: Awaited<ReturnType<typeof createSession>>,
    private readonly ctx: TeacherContext,
    private readonly names: string[],
  ) {}

  static async create(
    ctx: TeacherContext,
    intraOpNumThreads?: number,
    student?: StudentFn,
  ): Promise<StpmEvaluator> {
    const { model, paramNames } = buildStpmEvalGraph(ctx.proto, ctx.taps, ctx.inputSize, student);
    const handle = await createSession(serializeModel(model), { providerOrder: ['cpu'], intraOpNumThreads });
    return new StpmEvaluator(handle, ctx, paramNames);
  }

  /** Runs images [from, from + n) of `set`; returns the batch loss and the distance maps. */
  async run(
    weights: ReadonlyMap<string, Float32Array>,
    set: FeatureSet,
    from: number,
    n: number,
    shapes: ReadonlyMap<string, number[]>,
  ): Promise<{ loss: number; distances: Float32Array[] }> {
    const S = this.ctx.inputSize;
    const feeds: Record<string, ort.Tensor> = {
      [INPUT]: float32Tensor(set.pixels.subarray(from * 3 * S * S, (from + n) * 3 * S * S), [n, 3, S, S]),
    };
    this.ctx.taps.forEach((t, k) => {
      const sz = tapSize(t);
      feeds[teacherInput(k)] = float32Tensor(set.teacher[k].subarray(from * sz, (from + n) * sz), [
        n,
        t.channels,
        t.size,
        t.size,
      ]);
    });
    for (const name of this.names) {
      const v = weights.get(name);
      if (!v) throw new Error(`no student value '${name}'`);
      feeds[name] = float32Tensor(v, shapes.get(name)!);
    }
    const out = await this.handle.session.run(feeds);
    return {
      loss: (out[LOSS].data as Float32Array)[0],
      distances: this.ctx.taps.map((_, k) => out[distanceOutput(k)].data as Float32Array),
    };
  }

  /** Mean loss over the whole set (batches weighted by size). */
  async meanLoss(
    weights: ReadonlyMap<string, Float32Array>,
    set: FeatureSet,
    batch: number,
    shapes: ReadonlyMap<string, number[]>,
  ): Promise<number> {
    let sum = 0;
    for (let i = 0; i < set.count; i += batch) {
      const n = Math.min(batch, set.count - i);
      sum += (await this.run(weights, set, i, n, shapes)).loss * n;
    }
    return sum / set.count;
  }

  async release(): Promise<void> {
    await this.handle.session.release();
  }
}

/** Copies images `idx` of `src` into the batch buffers (pixels + each teacher tap). */
function gather(
  src: FeatureSet,
  idx: ArrayLike<number>,
  px: number,
  taps: StpmTap[],
  into: Float32Array[],
): void {
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    into[0].set(src.pixels.subarray(i * px, (i + 1) * px), j * px);
    taps.forEach((t, k) => {
      const sz = tapSize(t);
      into[k + 1].set(src.teacher[k].subarray(i * sz, (i + 1) * sz), j * sz);
    });
  }
}

export async function fitStpm(opts: FitStpmOptions): Promise<FittedStpm> {
  const cfg = resolveStpmConfig(opts.preset, opts.config);
  const timings: Record<string, number> = {};
  const tStart = performance.now();
  const cancel = () => {
    if (opts.shouldCancel?.()) throw new CancelledError();
  };
  if (opts.images.length === 0) throw new Error('STPM fit needs at least one good image');
  const ctx = await teacherContext(cfg, opts.cacheDir, opts.teacher);
  const S = cfg.inputSize;
  const px = 3 * S * S;

  const { fit: fitImages, held: valImages } = holdOutForValidation(opts.images, cfg);

  // ---- teacher features ----
  const clock = new StageClock<StpmProgress['stage']>(
    'features',
    fitImages.length + valImages.length,
    opts.onProgress,
  );
  clock.report(0);
  const fitSet = await teacherFeatures(ctx, fitImages, {
    batch: cfg.featureBatch,
    intraOpNumThreads: cfg.intraOpNumThreads,
    onBatch: (d) => clock.report(d),
    cancel,
  });
  const valSet = await teacherFeatures(ctx, valImages, {
    batch: cfg.featureBatch,
    intraOpNumThreads: cfg.intraOpNumThreads,
    onBatch: (d) => clock.report(fitImages.length + d),
    cancel,
  });
  const corrupt = opts.corrupt;
  const cleanFit = corrupt ? await Promise.all(fitImages.map((i) => loadRgb(i, ctx.pre))) : [];
  if (corrupt) {
    const cleanVal = await Promise.all(valImages.map((i) => loadRgb(i, ctx.pre)));
    corruptPixels(valSet, cleanVal, ctx.pre, corrupt, -1);
  }
  timings.featuresMs = performance.now() - tStart;

  // ---- student ----
  const tTrain = performance.now();
  const B = Math.min(cfg.batchSize, fitImages.length);
  const stepsPerEpoch = Math.max(1, Math.floor(fitImages.length / B));
  const trainer = await Trainer.create(
    buildStpmTrainingStep(
      ctx.proto,
      ctx.taps,
      S,
      B,
      {
        momentum: cfg.momentum,
        weightDecay: cfg.weightDecay,
      },
      opts.student,
    ),
    { seed: cfg.seed, intraOpNumThreads: cfg.intraOpNumThreads, providerOrder: opts.providerOrder },
  );
  const shapes = new Map<string, number[]>(
    [...trainer.graph.params, ...trainer.graph.buffers].map((p) => [p.name, p.shape]),
  );
  const evaluator =
    valSet.count > 0 ? await StpmEvaluator.create(ctx, cfg.intraOpNumThreads, opts.student) : null;
  const fingerprint = await trainingFingerprint(fitImages);
  const key = createHash('sha256')
    .update(
      JSON.stringify({ fingerprint, cfg: { ...cfg, intraOpNumThreads: undefined }, n: fitImages.length }),
    )
    .digest('hex');
  const bestPath = opts.checkpointPath ? `${opts.checkpointPath}.best` : undefined;
  let best: { epoch: number; loss: number; weights: Map<string, Float32Array> } | null = null;
  const epochLosses: number[] = [];
  const validationLosses: number[] = [];
  if (bestPath && existsSync(bestPath) && opts.checkpointPath && existsSync(opts.checkpointPath)) {
    const ck = readCheckpoint(bestPath);
    if (ck.meta.key === key) {
      best = { epoch: Number(ck.meta.epoch), loss: Number(ck.meta.loss), weights: ck.tensors };
      validationLosses.push(...(ck.meta.validationLosses as number[]));
      epochLosses.push(...(ck.meta.epochLosses as number[]));
    }
  }
  const buffers = [new Float32Array(B * px), ...ctx.taps.map((t) => new Float32Array(B * tapSize(t)))];
  const batchFeeds: Record<string, Float32Array> = { [INPUT]: buffers[0] };
  ctx.taps.forEach((_, k) => (batchFeeds[teacherInput(k)] = buffers[k + 1]));
  try {
    for (let epoch = epochLosses.length; epoch < cfg.epochs; epoch++) {
      const perm = createRng(cfg.seed + 7919 * (epoch + 1)).permutation(fitImages.length);
      if (corrupt) corruptPixels(fitSet, cleanFit, ctx.pre, corrupt, epoch);
      const res = await runTrainingLoop({
        trainer,
        epochs: epoch + 1,
        stepsPerEpoch,
        lr: constantLr(cfg.lr),
        batch: (_e, step) => {
          gather(fitSet, perm.subarray(step * B, (step + 1) * B), px, ctx.taps, buffers);
          return batchFeeds;
        },
        shouldCancel: opts.shouldCancel,
        checkpoint: opts.checkpointPath ? { path: opts.checkpointPath, key } : undefined,
        onProgress: (p) =>
          opts.onProgress?.({
            stage: 'train',
            done: p.step,
            total: cfg.epochs * stepsPerEpoch,
            etaMs:
              p.etaMs === null
                ? null
                : Math.round(
                    (p.etaMs / Math.max(1, p.totalSteps - p.step)) * (cfg.epochs * stepsPerEpoch - p.step),
                  ),
            epoch,
            epochs: cfg.epochs,
            loss: p.epochLoss,
            curve: p.curve,
            device: p.device,
          }),
      });
      epochLosses.push(res.epochLosses.at(-1) ?? NaN);
      cancel();
      const weights = trainer.weights();
      const valLoss = evaluator
        ? await evaluator.meanLoss(weights, valSet, cfg.featureBatch, shapes)
        : res.epochLosses.at(-1)!;
      validationLosses.push(valLoss);
      opts.onProgress?.({
        stage: 'validate',
        done: epoch + 1,
        total: cfg.epochs,
        etaMs: null,
        epoch,
        epochs: cfg.epochs,
        loss: valLoss,
      });
      if (!best || valLoss < best.loss) best = { epoch, loss: valLoss, weights };
      if (bestPath)
        writeCheckpoint(bestPath, {
          meta: { key, epoch: best.epoch, loss: best.loss, validationLosses, epochLosses },
          tensors: best.weights,
        });
    }
  } finally {
    await trainer.release();
    await evaluator?.release();
  }
  if (!best) throw new Error('STPM trained no epoch');
  timings.trainMs = performance.now() - tTrain;

  // ---- calibration with the exported graph ----
  const tCal = performance.now();
  cancel();
  const modelBytes = serializeModel(
    buildStpmPackageModel(ctx.proto, {
      taps: ctx.taps,
      inputSize: S,
      weights: best.weights,
      student: opts.student,
    }),
  );
  const held = opts.calibrationImages?.length ? opts.calibrationImages : valImages;
  const calibration = await calibratePackageGraph(
    modelBytes,
    { fit: fitImages, held, max: cfg.maxValidationImages },
    ctx.pre,
    {
      batch: cfg.featureBatch,
      intraOpNumThreads: cfg.intraOpNumThreads,
      onProgress: opts.onProgress,
      shouldCancel: opts.shouldCancel,
    },
  );
  timings.calibrateMs = performance.now() - tCal;
  timings.totalMs = performance.now() - tStart;
  if (bestPath) await rm(bestPath, { force: true });
  return {
    config: cfg,
    backboneId: opts.teacher?.id ?? cfg.backbone,
    modelBytes,
    taps: ctx.taps,
    weights: best.weights,
    preprocess: { resize: 0, crop: S, mean: ctx.pre.mean, std: ctx.pre.std },
    trainImageCount: fitImages.length,
    validationImageCount: valSet.count,
    fingerprint,
    epochLosses,
    validationLosses,
    bestEpoch: best.epoch,
    calibration,
    timings,
  };
}
