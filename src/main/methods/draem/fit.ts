// DRAEM fit: good images decoded once at the model input size, simulated anomalies generated per
// step in typed arrays, both sub-networks trained by one engine training-step graph, score
// normalisation calibrated on held-out good images with the exact graph that is exported.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageFile } from '../../imaging/files';
import { loadRgb, type ImageInput, type PreprocessSpec } from '../../models/preprocess';
import { serializeModel } from '../../onnx/serialize';
import { CancelledError, runTrainingLoop } from '../../engine/loop';
import { multiStepLr } from '../../engine/schedule';
import { Trainer } from '../../engine/trainer';
import type { RgbPixels } from '../../synthetic';
import { trainStage, type FitOptions, holdOut, trainingFingerprint, calibratePackageGraph } from '../common';
import { buildDraemPackageModel, buildDraemTrainingStep } from './graph';
import { BatchMaker } from './simulate';
import {
  resolveDraemConfig,
  type DraemConfig,
  type DraemPresetName,
  type DraemProgress,
  type FittedDraem,
} from './types';

/** Without calibration images a seeded fraction of `images` is held out for calibration. */
export type FitDraemOptions = FitOptions<DraemPresetName, DraemConfig, DraemProgress>;

export const draemPreprocess = (size: number): PreprocessSpec => ({
  resize: 0,
  crop: size,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  channelOrder: 'RGB',
});

async function loadPixels(
  images: readonly ImageInput[],
  size: number,
  cancel: () => void,
): Promise<RgbPixels[]> {
  const out: RgbPixels[] = [];
  for (const img of images) {
    cancel();
    out.push({ data: await loadRgb(img, { resize: 0, crop: size }), width: size, height: size });
  }
  return out;
}

/** Image files of a user texture folder (sorted); a clear error when it has none. */
export async function textureFiles(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter(isImageFile).sort();
  if (files.length === 0) throw new Error(`texture folder ${dir} has no images`);
  return files.map((f) => join(dir, f));
}

/** Epochs and steps per epoch of a run on n training images. */
export function draemSchedule(cfg: DraemConfig, n: number): { epochs: number; stepsPerEpoch: number } {
  const stepsPerEpoch = Math.max(1, Math.ceil(n / cfg.batch));
  const epochs = cfg.trainSamples
    ? Math.max(1, Math.round(cfg.trainSamples / (stepsPerEpoch * cfg.batch)))
    : cfg.epochs;
  return { epochs, stepsPerEpoch };
}

export async function fitDraem(opts: FitDraemOptions): Promise<FittedDraem> {
  const preset = opts.preset ?? 'station';
  const cfg = resolveDraemConfig(preset, opts.config);
  const timings: Record<string, number> = {};
  const tStart = performance.now();
  const cancel = () => {
    if (opts.shouldCancel?.()) throw new CancelledError();
  };
  if (opts.images.length === 0) throw new Error('DRAEM fit needs at least one good image');
  const S = cfg.inputSize;

  const { fit: fitImages, held: calibImages } = holdOut(opts.images, opts.calibrationImages, {
    fraction: cfg.calibrationFraction,
    max: cfg.maxCalibrationImages,
    seed: cfg.seed,
    minImages: 5,
  });

  opts.onProgress?.({ stage: 'load', done: 0, total: fitImages.length, etaMs: null });
  const pixels = await loadPixels(fitImages, S, cancel);
  const userTextures = cfg.textureDir ? await loadPixels(await textureFiles(cfg.textureDir), S, cancel) : [];
  opts.onProgress?.({ stage: 'load', done: fitImages.length, total: fitImages.length, etaMs: 0 });
  timings.loadMs = performance.now() - tStart;

  const tTrain = performance.now();
  const { epochs, stepsPerEpoch } = draemSchedule(cfg, pixels.length);
  const trainer = await Trainer.create(
    buildDraemTrainingStep({ inputSize: S, recBase: cfg.recBase, discBase: cfg.discBase, batch: cfg.batch }),
    { seed: cfg.seed, intraOpNumThreads: cfg.intraOpNumThreads, providerOrder: opts.providerOrder },
  );
  timings.graphMs = performance.now() - tTrain;
  const fingerprint = await trainingFingerprint(fitImages);
  const maker = new BatchMaker(pixels, S, cfg.batch, cfg.seed, {
    cleanProbability: cfg.cleanProbability,
    preRotateProbability: cfg.preRotateProbability,
    userTextures,
  });
  const terms = { l2: 0, ssim: 0, focal: 0, n: 0, epoch: -1 };
  let epochLosses: number[];
  try {
    const key = createHash('sha256')
      .update(
        JSON.stringify({
          fingerprint,
          cfg: { ...cfg, intraOpNumThreads: undefined },
          userTextures: userTextures.length,
        }),
      )
      .digest('hex');
    const res = await runTrainingLoop({
      trainer,
      epochs,
      stepsPerEpoch,
      lr: multiStepLr(
        cfg.lr,
        cfg.lrMilestones.map((f) => Math.round(f * epochs)),
        cfg.lrGamma,
      ),
      batch: (epoch, step) => {
        const b = maker.fill((epoch * stepsPerEpoch + step) * cfg.batch);
        return { augmented: b.augmented, clean: b.clean, mask: b.mask };
      },
      shouldCancel: opts.shouldCancel,
      checkpoint: opts.checkpointPath ? { path: opts.checkpointPath, key } : undefined,
      onProgress: (p) => opts.onProgress?.(trainStage(p)),
      onStep: (epoch, r) => {
        if (epoch !== terms.epoch) Object.assign(terms, { l2: 0, ssim: 0, focal: 0, n: 0, epoch });
        terms.l2 += r.metrics.l2;
        terms.ssim += r.metrics.ssim;
        terms.focal += r.metrics.focal;
        terms.n++;
      },
    });
    epochLosses = res.epochLosses;
  } finally {
    await trainer.release();
  }
  const weights = trainer.weights();
  timings.trainMs = performance.now() - tTrain;

  const tCal = performance.now();
  cancel();
  const modelBytes = serializeModel(
    buildDraemPackageModel({
      inputSize: S,
      recBase: cfg.recBase,
      discBase: cfg.discBase,
      scoreFilter: cfg.scoreFilter,
      weights,
    }),
  );
  const calibration = await calibratePackageGraph(
    modelBytes,
    { fit: fitImages, held: calibImages, max: cfg.maxCalibrationImages },
    draemPreprocess(S),
    {
      batch: 4,
      intraOpNumThreads: cfg.intraOpNumThreads,
      onProgress: opts.onProgress,
      shouldCancel: opts.shouldCancel,
    },
  );
  timings.calibrateMs = performance.now() - tCal;
  timings.totalMs = performance.now() - tStart;
  const n = Math.max(1, terms.n);
  return {
    config: cfg,
    preset,
    modelBytes,
    weights,
    trainImageCount: fitImages.length,
    userTextureCount: userTextures.length,
    steps: epochs * stepsPerEpoch,
    epochs,
    fingerprint,
    epochLosses,
    lossTerms: { l2: terms.l2 / n, ssim: terms.ssim / n, focal: terms.focal / n },
    calibration,
    timings,
  };
}
