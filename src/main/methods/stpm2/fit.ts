// Two-pair STPM fit: pair 1 = fitStpm as is; pair 2 = fitStpm with the second teacher, the
// attention student and synthetic anomalies (src/main/synthetic, seeded per image and epoch) as
// the student's input; then the combined graph, calibrated on the held-out good images.
import { rm } from 'node:fs/promises';
import { serializeModel } from '../../onnx/serialize';
import { synthesizeAnomaly } from '../../synthetic';
import { CancelledError } from '../../engine/loop';
import { type FitOptions, calibratePackageGraph } from '../common';
import { fitStpm, holdOutForValidation, teacherContext, type CustomTeacher } from '../stpm/fit';
import { plainStudent } from '../stpm/graph';
import { resolveStpmConfig, type FittedStpm, type StpmPresetName } from '../stpm/types';
import { buildStpm2PackageModel, reconstructionStudent, type PairGraph } from './graph';
import {
  resolveStpm2Config,
  type FittedStpm2,
  type Stpm2Config,
  type Stpm2PresetName,
  type Stpm2Progress,
} from './types';

/** `checkpointPath` is a prefix: pair k trains with `${checkpointPath}.pair${k}`. */
export interface FitStpm2Options extends FitOptions<Stpm2PresetName, Stpm2Config, Stpm2Progress> {
  cacheDir: string;
  /** One supplied teacher for both pairs (the conformance test's tiny backbone). */
  teacher?: CustomTeacher;
}

/** Synthetic anomaly of an S × S image, seeded by (seed, image, epoch). */
export function anomalyCorruption(seed: number, cleanProbability: number) {
  return (rgb: Uint8Array, size: number, index: number, epoch: number): Uint8Array =>
    synthesizeAnomaly(
      { data: rgb, width: size, height: size },
      null,
      (seed * 1_000_003 + (epoch + 2) * 65_537 + index) >>> 0,
      {
        cleanProbability,
      },
    ).image.data;
}

const pairGraph = async (
  f: FittedStpm,
  student: PairGraph['student'],
  opts: FitStpm2Options,
): Promise<PairGraph> => ({
  teacher: (await teacherContext(f.config, opts.cacheDir, opts.teacher)).proto,
  taps: f.taps,
  inputSize: f.config.inputSize,
  weights: f.weights,
  student,
  mean: f.preprocess.mean,
  std: f.preprocess.std,
});

export async function fitStpm2(opts: FitStpm2Options): Promise<FittedStpm2> {
  const cfg = resolveStpm2Config(opts.preset, opts.config);
  const preset: StpmPresetName = cfg.preset;
  const tStart = performance.now();
  const common = {
    images: opts.images,
    calibrationImages: opts.calibrationImages,
    preset,
    cacheDir: opts.cacheDir,
    teacher: opts.teacher,
    shouldCancel: opts.shouldCancel,
    providerOrder: opts.providerOrder,
  };
  const pair1 = await fitStpm({
    ...common,
    config: cfg.pair1,
    checkpointPath: opts.checkpointPath && `${opts.checkpointPath}.pair1`,
    onProgress: (p) => opts.onProgress?.({ ...p, pair: 1 }),
  });
  // A finished pair's checkpoint would resume as "all epochs done" without its best-epoch record
  // (fitStpm deletes that at the end); a fit interrupted in pair 2 therefore retrains pair 1
  // (deterministic: the same weights) rather than keep the last epoch's.
  if (opts.checkpointPath) await rm(`${opts.checkpointPath}.pair1`, { force: true });
  const cfg2 = resolveStpmConfig(preset, cfg.pair2);
  // The attention widths need the tap channels before the fit builds its graphs.
  const taps2 = (await teacherContext(cfg2, opts.cacheDir, opts.teacher)).taps;
  const student2 = reconstructionStudent(taps2, cfg.attentionReduction);
  const pair2 = await fitStpm({
    ...common,
    config: cfg.pair2,
    student: student2,
    corrupt: anomalyCorruption(cfg2.seed, cfg.cleanProbability),
    checkpointPath: opts.checkpointPath && `${opts.checkpointPath}.pair2`,
    onProgress: (p) => opts.onProgress?.({ ...p, pair: 2 }),
  });

  const tCal = performance.now();
  if (opts.shouldCancel?.()) throw new CancelledError();
  const pairScales: [number, number] = [
    Math.max(pair1.calibration.mean, 1e-12),
    Math.max(pair2.calibration.mean, 1e-12),
  ];
  const model = buildStpm2PackageModel({
    pairs: [await pairGraph(pair1, plainStudent, opts), await pairGraph(pair2, student2, opts)],
    scales: pairScales,
    combine: cfg.combine,
  });
  const modelBytes = serializeModel(model);
  // The same held-out good images as each pair's calibration (same seed and count → same split).
  const cfg1 = pair1.config;
  const split = holdOutForValidation(opts.images, cfg1);
  const pre = {
    resize: 0,
    crop: cfg1.inputSize,
    mean: pair1.preprocess.mean,
    std: pair1.preprocess.std,
    channelOrder: 'RGB' as const,
  };
  const held = opts.calibrationImages?.length ? opts.calibrationImages : split.held;
  const calibration = await calibratePackageGraph(
    modelBytes,
    { fit: split.fit, held, max: cfg1.maxValidationImages },
    pre,
    {
      batch: cfg1.featureBatch,
      intraOpNumThreads: cfg1.intraOpNumThreads,
      onProgress: (p) => opts.onProgress?.(p),
      shouldCancel: opts.shouldCancel,
    },
  );
  const tEnd = performance.now();
  return {
    config: cfg,
    pair1,
    pair2,
    pairScales,
    modelBytes,
    inputSize: cfg1.inputSize,
    preprocess: pair1.preprocess,
    calibration,
    timings: {
      pair1Ms: pair1.timings.totalMs,
      pair2Ms: pair2.timings.totalMs,
      calibrateMs: tEnd - tCal,
      totalMs: tEnd - tStart,
    },
  };
}
