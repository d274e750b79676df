// Scores of good images through the exact graph a method exports (input `input` [N, 3, S, S],
// output `pred_score` [N]): what calibrates a package is what the live loop will run.
import { CancelledError } from '../../engine/loop';
import { preprocessBatch, type ImageInput, type PreprocessSpec } from '../../models/preprocess';
import { createSession, float32Tensor } from '../../runtime';
import { calibrationSet, summariseCalibration, type Calibration } from './calibration';
import { StageClock, type StageProgress } from './progress';

export async function scorePackageGraph(
  modelBytes: Uint8Array,
  images: readonly ImageInput[],
  pre: PreprocessSpec,
  o: {
    batch: number;
    intraOpNumThreads?: number;
    onProgress?: (p: StageProgress<'calibrate'>) => void;
    shouldCancel?: () => boolean;
  },
): Promise<number[]> {
  const { session } = await createSession(modelBytes, {
    providerOrder: ['cpu'],
    intraOpNumThreads: o.intraOpNumThreads,
  });
  const S = pre.crop;
  const scores: number[] = [];
  try {
    const clock = new StageClock('calibrate' as const, images.length, o.onProgress);
    for (let i = 0; i < images.length; i += o.batch) {
      if (o.shouldCancel?.()) throw new CancelledError();
      const batch = images.slice(i, i + o.batch);
      const x = await preprocessBatch(batch, pre);
      const out = await session.run({ input: float32Tensor(x, [batch.length, 3, S, S]) }, ['pred_score']);
      scores.push(...(out.pred_score.data as Float32Array));
      clock.report(scores.length);
    }
  } finally {
    await session.release();
  }
  return scores;
}

/**
 * Calibration of an exported graph: the scores of the held-out good images (or, with none held
 * out, of the first `max` fitted ones; see calibrationSet) and their summary.
 */
export async function calibratePackageGraph(
  modelBytes: Uint8Array,
  images: { fit: readonly ImageInput[]; held: readonly ImageInput[]; max: number },
  pre: PreprocessSpec,
  o: Parameters<typeof scorePackageGraph>[3],
): Promise<Calibration> {
  const cal = calibrationSet(images.fit, images.held, images.max);
  return summariseCalibration(await scorePackageGraph(modelBytes, cal.images, pre, o), cal.source);
}
