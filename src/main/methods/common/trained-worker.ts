// The worker-thread side every method that trains on the engine shares: fit with a checkpoint in
// the package folder (so an interrupted fit resumes), export, then drop the checkpoint once the
// package is complete. A method's fit.worker.ts is one call of runTrainedFitWorker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsWorkerJob } from '../../jobs/worker-job';
import type { ModelJson } from '../../models/schema';
import type { ProviderName } from '../../runtime';
import type { TrainingDevice } from '@shared/training';
import type { MethodFitResult, MethodProgress } from '../types';
import type { ExportOptions } from './package';

/** What every trained method's job carries; a method's job data extends it with its own inputs. */
export interface TrainedFitJobData<Preset extends string, Config> {
  /** Good images (paths or encoded bytes) to fit on. */
  images: (string | Uint8Array)[];
  /** Held-out good images that set score normalisation; absent: the method holds out its own. */
  calibrationImages?: (string | Uint8Array)[];
  preset?: Preset;
  config?: Partial<Config>;
  outDir: string;
  /** Resume file; default <outDir>/.<method>-train.ckpt, deleted after a successful export. */
  checkpointPath?: string;
  /** Execution providers the training step tries, in order (inference's order from Settings). */
  providerOrder?: ProviderName[];
  export?: ExportOptions;
}

/** A trained method's job result: the contract's, plus the training loss per epoch where it has one. */
export interface TrainedFitResult extends MethodFitResult {
  epochLosses?: number[];
}

/** What the worker hands a method's fit: the job's common inputs, the checkpoint, progress and cancel. */
export type TrainedFitArgs<D extends TrainedFitJobData<string, unknown>> = Pick<
  D,
  'images' | 'calibrationImages' | 'preset' | 'config' | 'providerOrder'
> & {
  checkpointPath: string;
  onProgress: (p: MethodProgress) => void;
  shouldCancel: () => boolean;
};

export interface TrainedWorker<D extends TrainedFitJobData<string, unknown>, F, R> {
  /** Names the default checkpoint `<outDir>/.<method>-train.ckpt`. */
  method: string;
  /** The method's fit on the common arguments plus what its own job data adds. */
  fit(args: TrainedFitArgs<D>, data: D): Promise<F>;
  exportTo(fitted: F, data: D): Promise<{ dir: string; json: ModelJson; bytes: number }>;
  /** Files the fit keeps beside the checkpoint path (default: the path itself), removed after export. */
  checkpointFiles?(checkpointPath: string): string[];
  /** The job result from the fitted model and the common part (default: the common part). */
  result?(fitted: F, common: TrainedFitResult): R;
}

/** Fit, export and clean up, as one worker job (call it at the top level of a fit.worker.ts). */
export async function trainedFitJob<
  D extends TrainedFitJobData<string, unknown>,
  F extends { timings: Record<string, number>; epochLosses?: number[] },
  R,
>(
  w: TrainedWorker<D, F, R>,
  data: D,
  ctx: { progress: (p: MethodProgress) => void; isCancelled: () => boolean },
): Promise<R> {
  const checkpointPath = data.checkpointPath ?? join(data.outDir, `.${w.method}-train.ckpt`);
  // The provider the training step ran on travels with its progress; model.json records it.
  let device: TrainingDevice | undefined;
  const fitted = await w.fit(
    {
      images: data.images,
      calibrationImages: data.calibrationImages,
      preset: data.preset,
      config: data.config,
      providerOrder: data.providerOrder,
      checkpointPath,
      onProgress: (p) => {
        if (p.device) device = p.device;
        ctx.progress(p);
      },
      shouldCancel: ctx.isCancelled,
    },
    data,
  );
  ctx.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await w.exportTo(fitted, { ...data, export: { ...data.export, device } });
  for (const f of w.checkpointFiles?.(checkpointPath) ?? [checkpointPath]) await rm(f, { force: true });
  ctx.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  const common: TrainedFitResult = {
    dir: exported.dir,
    modelJson: exported.json,
    onnxBytes: exported.bytes,
    timings: fitted.timings,
    ...(fitted.epochLosses ? { epochLosses: fitted.epochLosses } : {}),
  };
  return w.result ? w.result(fitted, common) : (common as R);
}

export function runTrainedFitWorker<
  D extends TrainedFitJobData<string, unknown>,
  F extends { timings: Record<string, number>; epochLosses?: number[] },
  R = TrainedFitResult,
>(w: TrainedWorker<D, F, R>): void {
  void runAsWorkerJob<D, MethodProgress, R>((data, ctx) => trainedFitJob(w, data, ctx));
}
