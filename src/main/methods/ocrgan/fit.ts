// OCR-GAN fit: images decoded once to [−1, 1]; the discriminator and the generator stepped in turn
// on the engine's alternating step graphs (Adam each); after every epoch the exported scorer is
// run on held-out good images plus synthetic anomalies of them (src/main/synthetic) and the epoch
// with the best AUROC is kept; a collapsed game (D wins outright while the reconstruction stalls,
// or every fake the same) stops the run and is recorded. Score normalisation is calibrated on the
// held-out good images with the exact exported graph.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { AlternatingTrainer } from '../../engine/alternating';
import { readCheckpoint, writeCheckpoint } from '../../engine/checkpoint';
import { LossCurveRecorder } from '../../engine/curve';
import { CancelledError } from '../../engine/loop';
import { imageAuroc } from '../../eval/image-metrics';
import {
  loadRgb,
  preprocessBatch,
  rgbToNchw,
  type ImageInput,
  type PreprocessSpec,
} from '../../models/preprocess';
import { serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { synthesizeAnomaly } from '../../synthetic/synthesize';
import { createRng } from '../../util/rng';
import { type FitOptions, StageClock, holdOut, trainingFingerprint, calibratePackageGraph } from '../common';
import { cutPaste } from './cutpaste';
import {
  CUTPASTE,
  INPUT,
  REAL,
  SCORE,
  buildDiscriminatorStep,
  buildGeneratorStep,
  buildOcrganScorer,
} from './graph';
import {
  resolveOcrganConfig,
  type FittedOcrgan,
  type OcrganConfig,
  type OcrganEpoch,
  type OcrganPresetName,
  type OcrganProgress,
} from './types';

/**
 * Calibration images validate the epochs and calibrate the scores; without them a seeded fraction
 * of `images` is held out for both. The checkpoint is written after every epoch.
 */
export type FitOcrganOptions = FitOptions<OcrganPresetName, OcrganConfig, OcrganProgress>;

export const ocrganPreprocess = (c: OcrganConfig): PreprocessSpec => ({
  resize: 0,
  crop: c.inputSize,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  channelOrder: 'RGB',
});

/** Scores [N, 3, S, S] tensors with a serialized scorer, `batch` images at a time. */
export async function scoreTensor(
  model: Uint8Array,
  x: Float32Array,
  n: number,
  c: OcrganConfig,
  batch = 8,
): Promise<number[]> {
  const S = c.inputSize;
  const px = 3 * S * S;
  const { session } = await createSession(model, {
    providerOrder: ['cpu'],
    intraOpNumThreads: c.intraOpNumThreads,
  });
  try {
    const out: number[] = [];
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      const r = await session.run({ [INPUT]: float32Tensor(x.subarray(i * px, (i + k) * px), [k, 3, S, S]) });
      out.push(...(r[SCORE].data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Held-out good images, then one synthetic anomaly of each (seeded): the validation set. */
async function validationSet(
  images: ImageInput[],
  c: OcrganConfig,
): Promise<{ x: Float32Array; labels: number[] }> {
  const pre = ocrganPreprocess(c);
  const S = c.inputSize;
  const x = new Float32Array(2 * images.length * 3 * S * S);
  const labels: number[] = [];
  for (let i = 0; i < images.length; i++) {
    const rgb = await loadRgb(images[i], pre);
    rgbToNchw(rgb, pre, x, i);
    const bad = synthesizeAnomaly({ data: rgb, width: S, height: S }, null, c.seed + 977 * (i + 1));
    rgbToNchw(bad.image.data, pre, x, images.length + i);
    labels.push(0);
  }
  for (let i = 0; i < images.length; i++) labels.push(1);
  return { x, labels };
}

const copyWeights = (w: Map<string, Float32Array>) => new Map([...w].map(([k, v]) => [k, v.slice()]));
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);

export async function fitOcrgan(opts: FitOcrganOptions): Promise<FittedOcrgan> {
  const cfg = resolveOcrganConfig(opts.preset, opts.config);
  const cancel = () => {
    if (opts.shouldCancel?.()) throw new CancelledError();
  };
  if (opts.images.length < 2) throw new Error('OCR-GAN needs at least two good images');
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const S = cfg.inputSize;
  const px = 3 * S * S;
  const pre = ocrganPreprocess(cfg);

  // Given calibration images are held-out good images already: they validate too. Otherwise a
  // seeded fraction of the good images is held out for both.
  const { fit: fitImages, held } = holdOut(
    opts.images,
    opts.calibrationImages?.length ? opts.calibrationImages : undefined,
    { fraction: cfg.validationFraction, max: cfg.maxValidationImages, seed: cfg.seed, minImages: 5 },
  );
  const valImages = held.slice(0, cfg.maxValidationImages);

  const clock = new StageClock<'load'>('load', fitImages.length, opts.onProgress);
  const train = new Float32Array(fitImages.length * px);
  for (let i = 0; i < fitImages.length; i += 8) {
    cancel();
    const part = fitImages.slice(i, i + 8);
    train.set(await preprocessBatch(part, pre), i * px);
    clock.report(i + part.length);
  }
  const val = valImages.length > 0 ? await validationSet(valImages, cfg) : null;
  const fingerprint = await trainingFingerprint(fitImages);
  timings.loadMs = performance.now() - t0;

  const tTrain = performance.now();
  const B = Math.min(cfg.batchSize, fitImages.length);
  const stepsPerEpoch = Math.max(1, Math.floor(fitImages.length / B));
  const gan = await AlternatingTrainer.create(
    { d: buildDiscriminatorStep(cfg, B), g: buildGeneratorStep(cfg, B) },
    { seed: cfg.seed, intraOpNumThreads: cfg.intraOpNumThreads, providerOrder: opts.providerOrder },
  );
  const first = gan.trainers.get('d')!;
  const device = { provider: first.provider, skipped: first.skippedProviders };
  const gCurve = new LossCurveRecorder();
  const dCurve = new LossCurveRecorder();
  const epochs: OcrganEpoch[] = [];
  let best: { epoch: number; auroc: number | null; weights: Map<string, Float32Array> } | null = null;
  let collapse: string | null = null;
  let bestL1 = Infinity;
  let stale = 0;
  const real = new Float32Array(B * px);
  const cp = new Float32Array(B * px);
  const total = cfg.epochs * stepsPerEpoch;
  // Resume: the same images and config (threads aside) continue from the last finished epoch.
  const key = createHash('sha256')
    .update(
      JSON.stringify({ fingerprint, cfg: { ...cfg, intraOpNumThreads: undefined }, val: valImages.length }),
    )
    .digest('hex');
  const ckpt = opts.checkpointPath;
  const bestPath = ckpt ? `${ckpt}.best` : undefined;
  let startEpoch = 0;
  if (ckpt && bestPath && existsSync(ckpt) && existsSync(bestPath)) {
    const b = readCheckpoint(bestPath);
    if (b.meta.key === key) {
      const meta = gan.loadCheckpoint(ckpt);
      if (meta.key !== key) throw new Error(`${ckpt} belongs to another run`);
      startEpoch = Number(meta.nextEpoch);
      epochs.push(...(meta.epochs as OcrganEpoch[]));
      gCurve.restore(meta.gCurve);
      dCurve.restore(meta.dCurve);
      bestL1 = Number(meta.bestL1);
      stale = Number(meta.stale);
      best = {
        epoch: Number(b.meta.epoch),
        auroc: (b.meta.auroc as number | null) ?? null,
        weights: b.tensors,
      };
    }
  }
  const curve = () => ({
    ...gCurve.snapshot(),
    players: { discriminator: dCurve.snapshot().train },
    labels: { train: 'generator loss', validation: '1 − AUROC (held-out good + synthetic)' },
  });
  try {
    for (let epoch = startEpoch; epoch < cfg.epochs && !collapse; epoch++) {
      const rng = createRng(cfg.seed + 7919 * (epoch + 1));
      const perm = rng.choose(fitImages.length, fitImages.length);
      const dl: number[] = [];
      const gl: number[] = [];
      const l1: number[] = [];
      const fs: number[] = [];
      for (let s = 0; s < stepsPerEpoch; s++) {
        cancel();
        for (let j = 0; j < B; j++) {
          const i = perm[s * B + j];
          real.set(train.subarray(i * px, (i + 1) * px), j * px);
          const one = cp.subarray(j * px, (j + 1) * px);
          one.set(train.subarray(i * px, (i + 1) * px));
          cutPaste(one, S, rng, cfg.cutPasteArea);
        }
        const d = await gan.step('d', { [REAL]: real, [CUTPASTE]: cp }, cfg.lr);
        const g = await gan.step('g', { [REAL]: real }, cfg.lr);
        const step = epoch * stepsPerEpoch + s + 1;
        dl.push(d.loss);
        gl.push(g.loss);
        l1.push(g.metrics.l1);
        fs.push(g.metrics.fakeStd);
        dCurve.addTrain(step, d.loss);
        gCurve.addTrain(step, g.loss);
        const el = performance.now() - tTrain;
        opts.onProgress?.({
          stage: 'train',
          done: step,
          total,
          etaMs: Math.round((el / step) * (total - step)),
          epoch,
          epochs: cfg.epochs,
          loss: g.loss,
          curve: curve(),
          device,
        });
      }
      const e: OcrganEpoch = {
        epoch,
        dLoss: mean(dl),
        gLoss: mean(gl),
        l1: mean(l1),
        fakeStd: mean(fs),
        valAuroc: null,
      };
      if (!Number.isFinite(e.gLoss) || !Number.isFinite(e.dLoss)) {
        collapse = `epoch ${epoch + 1}: a loss is not finite (D ${e.dLoss}, G ${e.gLoss})`;
        epochs.push(e);
        break;
      }
      if (e.l1 < bestL1 - 1e-4) {
        bestL1 = e.l1;
        stale = 0;
      } else stale++;
      if (e.fakeStd < 1e-3)
        collapse = `epoch ${epoch + 1}: every fake is the same image (spread ${e.fakeStd.toExponential(2)})`;
      else if (e.dLoss < 0.01 && stale >= cfg.collapsePatience)
        collapse = `epoch ${epoch + 1}: the discriminator wins outright (loss ${e.dLoss.toExponential(2)}) and the reconstruction has not improved for ${stale} epochs`;
      const weights = copyWeights(gan.weights());
      if (val) {
        cancel();
        const scores = await scoreTensor(
          serializeModel(buildOcrganScorer(cfg, weights)),
          val.x,
          val.labels.length,
          cfg,
        );
        e.valAuroc = imageAuroc(scores, val.labels);
        gCurve.addValidation(epoch * stepsPerEpoch + stepsPerEpoch, 1 - e.valAuroc);
      }
      epochs.push(e);
      // Without a validation set the last epoch is kept; with one, the best AUROC (ties: later).
      if (!best || e.valAuroc === null || (best.auroc !== null && e.valAuroc >= best.auroc)) {
        best = { epoch, auroc: e.valAuroc, weights };
        if (bestPath)
          writeCheckpoint(bestPath, { meta: { key, epoch, auroc: e.valAuroc }, tensors: weights });
      }
      if (ckpt)
        gan.saveCheckpoint(ckpt, {
          key,
          nextEpoch: epoch + 1,
          epochs,
          gCurve: gCurve.snapshot(),
          dCurve: dCurve.snapshot(),
          bestL1,
          stale,
        });
      opts.onProgress?.({
        stage: 'validate',
        done: epoch + 1,
        total: cfg.epochs,
        etaMs: null,
        epoch,
        epochs: cfg.epochs,
        loss: e.valAuroc ?? e.gLoss,
        curve: curve(),
        device,
        collapse: collapse ?? undefined,
      });
    }
  } finally {
    await gan.release();
  }
  if (!best) throw new Error(`OCR-GAN trained no usable epoch${collapse ? `: ${collapse}` : ''}`);
  if (bestPath) await rm(bestPath, { force: true });
  timings.trainMs = performance.now() - tTrain;

  const tCal = performance.now();
  cancel();
  const modelBytes = serializeModel(buildOcrganScorer(cfg, best.weights));
  const calibration = await calibratePackageGraph(
    modelBytes,
    { fit: fitImages, held, max: cfg.maxValidationImages },
    pre,
    {
      batch: 8,
      intraOpNumThreads: cfg.intraOpNumThreads,
      onProgress: opts.onProgress,
      shouldCancel: opts.shouldCancel,
    },
  );
  timings.calibrateMs = performance.now() - tCal;
  timings.totalMs = performance.now() - t0;
  return {
    config: cfg,
    modelBytes,
    weights: best.weights,
    trainImageCount: fitImages.length,
    validationImageCount: valImages.length,
    fingerprint,
    epochs,
    bestEpoch: best.epoch,
    bestValAuroc: best.auroc,
    collapse,
    calibration,
    provider: device.provider,
    timings,
  };
}
