// DFR fit: regional features of the good images (ONNX Runtime), latent size by PCA, autoencoder
// trained by the engine's training-step graph, score normalisation calibrated on held-out good
// images with the exact graph that is exported.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ensureBackbone } from '../../backbones/registry';
import type { BackboneSource } from '../types';
import {
  StageClock,
  trainStage,
  type FitOptions,
  holdOut,
  trainingFingerprint,
  calibratePackageGraph,
} from '../common';
import { preprocessBatch, type PreprocessSpec } from '../../models/preprocess';
import { parseModel, serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { CancelledError, runTrainingLoop } from '../../engine/loop';
import { createRng } from '../../util/rng';
import { constantLr } from '../../engine/schedule';
import { Trainer } from '../../engine/trainer';
import { FEATURES_NHWC, INPUT, buildDfrPackageModel, buildDfrTrainingStep, buildFeatureModel } from './graph';
import { componentsFor } from './pca';
import { covariance, varianceSpectrum } from '../common/principal-axes';
import {
  resolveDfrConfig,
  type DfrConfig,
  type DfrPresetName,
  type DfrProgress,
  type DfrTap,
  type FittedDfr,
} from './types';

/** Without calibration images a seeded fraction of `images` is held out for calibration. */
export interface FitDfrOptions extends FitOptions<DfrPresetName, DfrConfig, DfrProgress> {
  /** Folder for converted backbones (ensureBackbone's cacheDir). */
  cacheDir: string;
  /**
   * A backbone instead of the bundled MobileNetV2 (the conformance test's tiny one): its taps'
   * outputs must be square; the input size is its crop and the grid a quarter of it.
   */
  backbone?: BackboneSource;
}

interface DfrBackbone {
  id: string;
  bytes: Uint8Array;
  taps: DfrTap[];
  mean: [number, number, number];
  std: [number, number, number];
}

async function loadBackbone(cfg: DfrConfig, opts: FitDfrOptions): Promise<DfrBackbone> {
  const S = cfg.inputSize;
  if (opts.backbone) {
    const b = opts.backbone;
    return {
      id: b.id,
      bytes: typeof b.model === 'string' ? new Uint8Array(await readFile(b.model)) : b.model,
      taps: b.taps.map((t) => ({
        name: t.name,
        stride: t.stride,
        channels: t.channels,
        size: t.size ?? Math.ceil(S / t.stride),
      })),
      mean: b.preprocess.mean,
      std: b.preprocess.std,
    };
  }
  if (cfg.backbone !== 'mobilenet_v2')
    throw new Error(`DFR backbone ${String(cfg.backbone)} is not available`);
  const ensured = await ensureBackbone(cfg.backbone, opts.cacheDir, { taps: cfg.taps, inputSize: [S, S] });
  const d = ensured.descriptor;
  for (const t of d.taps)
    if (t.size[0] !== t.size[1]) throw new Error(`tap ${t.name} is not square (${t.size.join('×')})`);
  return {
    id: cfg.backbone,
    bytes: new Uint8Array(await readFile(ensured.path)),
    taps: d.taps.map((t) => ({ name: t.name, stride: t.stride, channels: t.channels, size: t.size[0] })),
    mean: d.mean,
    std: d.std,
  };
}

export async function fitDfr(opts: FitDfrOptions): Promise<FittedDfr> {
  const base = resolveDfrConfig(opts.preset, opts.config);
  const cfg: DfrConfig = opts.backbone
    ? {
        ...base,
        inputSize: opts.backbone.preprocess.crop,
        gridSize: opts.backbone.preprocess.crop / (base.inputSize / base.gridSize),
      }
    : base;
  const timings: Record<string, number> = {};
  const tStart = performance.now();
  const cancel = () => {
    if (opts.shouldCancel?.()) throw new CancelledError();
  };
  if (opts.images.length === 0) throw new Error('DFR fit needs at least one good image');

  const S = cfg.inputSize;
  const G = cfg.gridSize;
  const bb = await loadBackbone(cfg, opts);
  const taps = bb.taps;
  const C = taps.reduce((s, t) => s + t.channels, 0);
  const backboneBytes = bb.bytes;
  const backboneProto = parseModel(backboneBytes);
  const pre: PreprocessSpec = {
    resize: cfg.resize,
    crop: S,
    mean: bb.mean,
    std: bb.std,
    channelOrder: 'RGB',
  };

  const { fit: fitImages, held: calibImages } = holdOut(opts.images, opts.calibrationImages, {
    fraction: cfg.calibrationFraction,
    max: cfg.maxCalibrationImages,
    seed: cfg.seed,
    minImages: 5,
  });

  // ---- features: sampled grid locations of every training image ----
  const perImage = Math.max(1, Math.min(cfg.rowsPerImage, G * G, Math.floor(cfg.maxRows / fitImages.length)));
  const R = perImage * fitImages.length;
  const rows = new Float32Array(R * C);
  const feat = await createSession(serializeModel(buildFeatureModel(backboneProto, taps, S, G)), {
    providerOrder: ['cpu'],
    intraOpNumThreads: cfg.intraOpNumThreads,
  });
  try {
    const clock = new StageClock('features', fitImages.length, opts.onProgress);
    clock.report(0);
    for (let i = 0; i < fitImages.length; i += cfg.featureBatch) {
      cancel();
      const batch = fitImages.slice(i, i + cfg.featureBatch);
      const x = await preprocessBatch(batch, pre);
      const out = await feat.session.run({ [INPUT]: float32Tensor(x, [batch.length, 3, S, S]) });
      const f = out[FEATURES_NHWC].data as Float32Array;
      for (let b = 0; b < batch.length; b++) {
        const img = i + b;
        // Which locations an image contributes depends only on the seed and its index.
        const locs = perImage === G * G ? null : createRng(cfg.seed * 1_000_003 + img).permutation(G * G);
        for (let r = 0; r < perImage; r++) {
          const loc = locs ? locs[r] : r;
          const src = (b * G * G + loc) * C;
          rows.set(f.subarray(src, src + C), (img * perImage + r) * C);
        }
      }
      clock.report(Math.min(i + cfg.featureBatch, fitImages.length));
    }
  } finally {
    await feat.session.release();
  }
  timings.featuresMs = performance.now() - tStart;

  // ---- latent size ----
  const tPca = performance.now();
  opts.onProgress?.({ stage: 'pca', done: 0, total: 1, etaMs: null });
  let latentDim: number;
  let explained: number;
  if (cfg.latentDim) {
    latentDim = cfg.latentDim;
    explained = NaN;
  } else {
    const pc = componentsFor(
      varianceSpectrum(await covariance(rows, C, cfg.intraOpNumThreads), C),
      cfg.varianceKept,
    );
    latentDim = pc.k;
    explained = pc.explained;
  }
  opts.onProgress?.({ stage: 'pca', done: 1, total: 1, etaMs: 0 });
  timings.pcaMs = performance.now() - tPca;
  cancel();

  // ---- autoencoder ----
  const tTrain = performance.now();
  const batchRows = Math.min(cfg.batchRows, R);
  const stepsPerEpoch = Math.max(1, Math.floor(R / batchRows));
  const trainer = await Trainer.create(buildDfrTrainingStep(C, latentDim, batchRows), {
    seed: cfg.seed,
    intraOpNumThreads: cfg.intraOpNumThreads,
    providerOrder: opts.providerOrder,
  });
  const fingerprint = await trainingFingerprint(fitImages);
  let epochLosses: number[];
  try {
    const batch = new Float32Array(batchRows * C);
    let permEpoch = -1;
    let perm: Uint32Array = new Uint32Array(0);
    const key = createHash('sha256')
      .update(JSON.stringify({ fingerprint, cfg: { ...cfg, intraOpNumThreads: undefined }, latentDim, R }))
      .digest('hex');
    const res = await runTrainingLoop({
      trainer,
      epochs: cfg.epochs,
      stepsPerEpoch,
      lr: constantLr(cfg.lr),
      batch: (epoch, step) => {
        if (epoch !== permEpoch) {
          perm = createRng(cfg.seed + 7919 * (epoch + 1)).permutation(R);
          permEpoch = epoch;
        }
        for (let j = 0; j < batchRows; j++) {
          const r = perm[step * batchRows + j];
          batch.set(rows.subarray(r * C, (r + 1) * C), j * C);
        }
        return { x: batch };
      },
      shouldCancel: opts.shouldCancel,
      checkpoint: opts.checkpointPath ? { path: opts.checkpointPath, key } : undefined,
      onProgress: (p) => opts.onProgress?.(trainStage(p)),
    });
    epochLosses = res.epochLosses;
  } finally {
    await trainer.release();
  }
  const weights = trainer.weights();
  timings.trainMs = performance.now() - tTrain;

  // ---- calibration with the exported graph ----
  const tCal = performance.now();
  cancel();
  const modelBytes = serializeModel(
    buildDfrPackageModel(backboneProto, { taps, inputSize: S, grid: G, channels: C, latentDim, weights }),
  );
  const calibration = await calibratePackageGraph(
    modelBytes,
    { fit: fitImages, held: calibImages, max: cfg.maxCalibrationImages },
    pre,
    {
      batch: cfg.featureBatch,
      intraOpNumThreads: cfg.intraOpNumThreads,
      onProgress: opts.onProgress,
      shouldCancel: opts.shouldCancel,
    },
  );
  timings.calibrateMs = performance.now() - tCal;
  timings.totalMs = performance.now() - tStart;
  return {
    config: cfg,
    backboneId: bb.id,
    backboneBytes,
    modelBytes,
    taps,
    channels: C,
    latentDim,
    explainedVariance: explained,
    weights,
    preprocess: { resize: pre.resize, crop: S, mean: pre.mean, std: pre.std },
    trainImageCount: fitImages.length,
    trainRows: R,
    fingerprint,
    epochLosses,
    calibration,
    timings,
  };
}
