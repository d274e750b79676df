// The worker-thread tail every method that trains on the engine shares: fit with a checkpoint in
// the package folder (so an interrupted fit resumes), export, then drop the checkpoint once the
// package is complete.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

interface ExportProgress {
  stage: 'export';
  done: number;
  total: number;
  etaMs: number | null;
}

export async function fitExportAndClean<
  F extends { timings: Record<string, number>; epochLosses: number[] },
  J,
>(o: {
  outDir: string;
  /** Given by the job, else `<outDir>/.<method>-train.ckpt`. */
  checkpointPath: string | undefined;
  method: string;
  progress: (p: ExportProgress) => void;
  fit: (checkpointPath: string) => Promise<F>;
  exportTo: (fitted: F) => Promise<{ dir: string; json: J; bytes: number }>;
}): Promise<{
  fitted: F;
  result: {
    dir: string;
    modelJson: J;
    onnxBytes: number;
    timings: Record<string, number>;
    epochLosses: number[];
  };
}> {
  const checkpointPath = o.checkpointPath ?? join(o.outDir, `.${o.method}-train.ckpt`);
  const fitted = await o.fit(checkpointPath);
  o.progress({ stage: 'export', done: 0, total: 1, etaMs: null });
  const exported = await o.exportTo(fitted);
  await rm(checkpointPath, { force: true });
  o.progress({ stage: 'export', done: 1, total: 1, etaMs: 0 });
  return {
    fitted,
    result: {
      dir: exported.dir,
      modelJson: exported.json,
      onnxBytes: exported.bytes,
      timings: fitted.timings,
      epochLosses: fitted.epochLosses,
    },
  };
}
