// PatchCore fit: stream good images through backbone + aggregation (ONNX Runtime), keep the
// 128-d coreset projection of every patch, select the bank by greedy k-center, gather the bank
// rows, calibrate score normalisation on held-out good images.
//
// Memory: full features cost N·D·4 bytes (1000 images × 784 × 576 × 4 = 1.8 GB). We always keep
// only the N·128·4 projection (400 MB for 1000 images) plus, while they fit in
// `featureBudgetBytes`, the full features. Beyond the budget a second extraction pass
// re-computes features of the images that own selected patches and copies just those rows, which
// trades one more backbone pass for O(bank) memory. A reduction (reduceDim; principal axes of a
// sample of the training patches, reduction.ts) shrinks both the features and the exported bank.
import { readFile } from 'node:fs/promises';
import { parseModel, serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { preprocessBatch, type ImageInput, type PreprocessSpec } from '../../models/preprocess';
import { CancelledError, greedyCoreset } from './coreset';
import { planBank } from './sizing';
import { fitReduction } from './reduction';
import { buildFeatureModel, featureGrid, rawDim as rawDimOf } from './graph';
import { createRng, gaussianMatrix } from '../../util/rng';
import { StageClock, calibrationSet, holdOut, summariseCalibration, trainingFingerprint } from '../common';
import type { BackboneSource } from '../types';
import { PatchCoreScorer, featureSpecOf } from './scorer';
import {
  resolveConfig,
  type FitProgress,
  type FittedPatchCore,
  type PatchCoreConfig,
  type PresetName,
} from './types';

export interface FitOptions {
  images: ImageInput[];
  /** Good images not used for fitting; when absent a seeded fraction of `images` is held out. */
  calibrationImages?: ImageInput[];
  backbone: BackboneSource;
  preset?: PresetName;
  config?: Partial<PatchCoreConfig>;
  /**
   * Overrides of the backbone's preprocessing, e.g. { resize: 0 } to squash the whole frame to
   * the input size instead of resize-256 + centre-crop (which drops the ends of elongated parts).
   */
  preprocess?: Partial<PreprocessSpec>;
  onProgress?: (p: FitProgress) => void;
  shouldCancel?: () => boolean;
  intraOpNumThreads?: number;
}

function checkCancel(opts: FitOptions): void {
  if (opts.shouldCancel?.()) throw new CancelledError();
}

export async function fitPatchCore(opts: FitOptions): Promise<FittedPatchCore> {
  const cfg = resolveConfig(opts.preset, opts.config);
  const timings: Record<string, number> = {};
  const tStart = performance.now();
  if (opts.images.length === 0) throw new Error('PatchCore fit needs at least one good image');
  const backbone: BackboneSource = opts.preprocess
    ? { ...opts.backbone, preprocess: { ...opts.backbone.preprocess, ...opts.preprocess } }
    : opts.backbone;
  const backboneBytes =
    typeof backbone.model === 'string' ? new Uint8Array(await readFile(backbone.model)) : backbone.model;

  const { fit: fitImages, held: calibImages } = holdOut(opts.images, opts.calibrationImages, {
    fraction: cfg.calibrationFraction,
    max: cfg.maxCalibrationImages,
    seed: cfg.seed,
    minImages: 10,
  });

  const raw = rawDimOf(backbone);
  const backboneProto = parseModel(backboneBytes);
  const tReduce = performance.now();
  const reduced = await fitReduction({
    cfg,
    backbone,
    backboneProto,
    images: fitImages,
    intraOpNumThreads: opts.intraOpNumThreads,
    checkCancel: () => checkCancel(opts),
    onProgress: opts.onProgress,
  });
  if (reduced) timings.reductionMs = performance.now() - tReduce;
  const reduction = reduced?.matrix ?? null;
  const spec = featureSpecOf({ backbone, reduction, config: cfg });
  const dim = reduction ? cfg.reduceDim : raw;
  const projDim = Math.min(dim, cfg.coresetProjectionDim);
  const coresetProj =
    dim > cfg.coresetProjectionDim ? gaussianMatrix(createRng(cfg.seed + 2), dim, projDim) : undefined;

  const featModel = buildFeatureModel(backboneProto, spec, coresetProj, projDim);
  const { session } = await createSession(serializeModel(featModel), {
    providerOrder: ['cpu'],
    intraOpNumThreads: opts.intraOpNumThreads,
  });

  const { h, w } = featureGrid(spec);
  const hw = h * w;
  const n = fitImages.length * hw;
  const keepFull = n * dim * 4 <= cfg.featureBudgetBytes;
  const proj = new Float32Array(n * projDim);
  const full = keepFull ? (coresetProj ? new Float32Array(n * dim) : proj) : null;
  const s = spec.inputSize;

  const extract = async (imgs: ImageInput[]): Promise<{ feats: Float32Array; proj: Float32Array | null }> => {
    const x = await preprocessBatch(imgs, backbone.preprocess);
    const out = await session.run({ [spec.inputName]: float32Tensor(x, [imgs.length, 3, s, s]) });
    return {
      feats: out.features.data as Float32Array,
      proj: coresetProj ? (out.coreset_proj.data as Float32Array) : null,
    };
  };

  try {
    const clock = new StageClock('features', fitImages.length, opts.onProgress);
    clock.report(0);
    for (let i = 0; i < fitImages.length; i += cfg.batchSize) {
      checkCancel(opts);
      const batch = fitImages.slice(i, i + cfg.batchSize);
      const r = await extract(batch);
      proj.set(r.proj ?? r.feats, i * hw * projDim);
      if (full && full !== proj) full.set(r.feats, i * hw * dim);
      clock.report(Math.min(i + cfg.batchSize, fitImages.length));
    }
    timings.featuresMs = performance.now() - tStart;

    const tCore = performance.now();
    const size = planBank(n, dim, cfg).rows;
    const coreClock = new StageClock('coreset', size, opts.onProgress);
    coreClock.report(0);
    const selected = await greedyCoreset(proj, projDim, size, {
      seed: cfg.seed,
      startPoints: cfg.coresetStartPoints,
      intraOpNumThreads: opts.intraOpNumThreads,
      onProgress: (done) => coreClock.report(done),
      shouldCancel: opts.shouldCancel,
    });
    timings.coresetMs = performance.now() - tCore;

    const tBank = performance.now();
    const bank = new Float32Array(selected.length * dim);
    if (full) {
      for (let j = 0; j < selected.length; j++)
        bank.set(full.subarray(selected[j] * dim, (selected[j] + 1) * dim), j * dim);
    } else {
      // Second pass: only images owning selected patches, each patch copied to its bank slot.
      const byImage = new Map<number, Array<[patch: number, slot: number]>>();
      selected.forEach((p, slot) => {
        const img = Math.floor(p / hw);
        const list = byImage.get(img) ?? [];
        list.push([p % hw, slot]);
        byImage.set(img, list);
      });
      const owners = [...byImage.keys()].sort((a, b) => a - b);
      const bankClock = new StageClock('bank', owners.length, opts.onProgress);
      for (let i = 0; i < owners.length; i += cfg.batchSize) {
        checkCancel(opts);
        const ids = owners.slice(i, i + cfg.batchSize);
        const r = await extract(ids.map((id) => fitImages[id]));
        ids.forEach((id, b) => {
          for (const [patch, slot] of byImage.get(id)!)
            bank.set(r.feats.subarray((b * hw + patch) * dim, (b * hw + patch + 1) * dim), slot * dim);
        });
        bankClock.report(Math.min(i + cfg.batchSize, owners.length));
      }
    }
    timings.bankMs = performance.now() - tBank;

    const fitted: FittedPatchCore = {
      config: cfg,
      ...(opts.preset ? { preset: opts.preset } : {}),
      backbone: {
        id: backbone.id,
        inputName: backbone.inputName,
        taps: backbone.taps,
        preprocess: backbone.preprocess,
      },
      backboneBytes,
      bank,
      dim,
      reduction,
      reductionInfo: reduced?.info ?? null,
      trainImageCount: fitImages.length,
      patchCount: n,
      fingerprint: await trainingFingerprint(fitImages),
      calibration: { source: 'train', count: 0, scores: [], min: 0, max: 0, mean: 0 },
      timings,
    };

    const tCal = performance.now();
    checkCancel(opts);
    const { images: calSet, source: calSource } = calibrationSet(
      fitImages,
      calibImages,
      cfg.maxCalibrationImages,
    );
    const scorer = await PatchCoreScorer.create(fitted, { intraOpNumThreads: opts.intraOpNumThreads });
    const calClock = new StageClock('calibrate', calSet.length, opts.onProgress);
    const scores: number[] = [];
    try {
      for (let i = 0; i < calSet.length; i += cfg.batchSize) {
        checkCancel(opts);
        const r = await scorer.scoreImages(calSet.slice(i, i + cfg.batchSize));
        scores.push(...r.map((x) => x.score));
        calClock.report(scores.length);
      }
    } finally {
      await scorer.release();
    }
    fitted.calibration = summariseCalibration(scores, calSource);
    timings.calibrateMs = performance.now() - tCal;
    timings.totalMs = performance.now() - tStart;
    return fitted;
  } finally {
    await session.release();
  }
}
