// Pieces every trained method's fit and package share: a per-stage progress clock with ETA,
// min–max score normalisation from held-out calibration scores, atomic package writing, and
// running a worker fit job from the CLI with Ctrl-C as cancel. (DFR carries older copies of these;
// it can switch to this module without behaviour change.)
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobHandle } from '../../jobs/worker-job';
import { CancelledError } from '../../engine/loop';
import { preprocessBatch, type ImageInput, type PreprocessSpec } from '../../models/preprocess';
import { createSession, float32Tensor } from '../../runtime';
import type { ModelJson } from '../../models/schema';

export interface StageProgress<S extends string> {
  stage: S;
  done: number;
  total: number;
  etaMs: number | null;
}

/** Reports `done` of `total` for one stage, with an ETA from the mean time per item so far. */
export class StageClock<S extends string> {
  private readonly t0 = performance.now();
  constructor(
    private readonly stage: S,
    private readonly total: number,
    private readonly emit?: (p: StageProgress<S>) => void,
  ) {}
  report(done: number): void {
    const el = performance.now() - this.t0;
    this.emit?.({
      stage: this.stage,
      done,
      total: this.total,
      etaMs: done > 0 ? Math.round((el / done) * (this.total - done)) : null,
    });
  }
}

/** Min–max over calibration scores; scores are ≥ 0, so 0 is the floor when they give no range. */
export function minmaxNormalisation(cal: { count: number; min: number; max: number }): {
  method: 'minmax';
  min: number;
  max: number;
} {
  if (cal.count === 0 || !(cal.max > cal.min))
    return { method: 'minmax', min: 0, max: cal.count > 0 && cal.max > 0 ? cal.max : 1 };
  return { method: 'minmax', min: cal.min, max: cal.max };
}

/** Writes `dir`/model.onnx and `dir`/model.json, each through a temp file + rename. */
export async function writeModelPackage(
  dir: string,
  modelBytes: Uint8Array,
  json: ModelJson,
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx.tmp'), modelBytes);
  await rename(join(dir, 'model.onnx.tmp'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json.tmp'), `${JSON.stringify(json, null, 2)}\n`);
  await rename(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
  return { dir, json, bytes: modelBytes.length };
}

/** Awaits a worker job; Ctrl-C cancels it (a method's checkpoint stays, so rerunning resumes). */
export async function awaitJobWithSigint<R>(job: JobHandle<R>): Promise<R> {
  const stop = (): void => job.cancel();
  process.once('SIGINT', stop);
  try {
    return await job.result;
  } finally {
    process.off('SIGINT', stop);
  }
}

/** pred_score of a package graph (input `input` [N, 3, S, S]) for each image, in batches. */
export async function scoreImages(
  modelBytes: Uint8Array,
  images: ImageInput[],
  pre: PreprocessSpec,
  cfg: { featureBatch: number; intraOpNumThreads?: number },
  opts: { onProgress?: (p: StageProgress<'calibrate'>) => void; shouldCancel?: () => boolean },
): Promise<number[]> {
  const { session } = await createSession(modelBytes, {
    providerOrder: ['cpu'],
    intraOpNumThreads: cfg.intraOpNumThreads,
  });
  const scores: number[] = [];
  try {
    const clock = new StageClock('calibrate' as const, images.length, opts.onProgress);
    for (let i = 0; i < images.length; i += cfg.featureBatch) {
      if (opts.shouldCancel?.()) throw new CancelledError();
      const batch = images.slice(i, i + cfg.featureBatch);
      const x = await preprocessBatch(batch, pre);
      const S = pre.crop;
      const out = await session.run({ input: float32Tensor(x, [batch.length, 3, S, S]) }, ['pred_score']);
      scores.push(...(out.pred_score.data as Float32Array));
      clock.report(scores.length);
    }
  } finally {
    await session.release();
  }
  return scores;
}
