// Runs a job in a worker thread with progress, result and cancellation. The one place that knows
// how a worker entry is found: in the electron-vite bundle the entry is a .js next to the bundle
// (out/main/<name>.js); from source (tests, tsx) the .ts file is loaded through tsx.
// Why not `execArgv: ['--import', 'tsx']`: on Node 20 a worker's own entry is resolved before
// hooks registered by --import apply ("Unknown file extension .ts"), so source-mode workers start
// from a two-line CommonJS bootstrap that registers tsx's require hook and then requires the entry.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

export class JobCancelledError extends Error {
  constructor() {
    super('job cancelled');
    this.name = 'JobCancelledError';
  }
}

/** Messages a worker entry posts to its parent. */
export type WorkerMessage<P, R> =
  | { type: 'progress'; progress: P }
  | { type: 'result'; result: R }
  | { type: 'error'; message: string; name?: string; stack?: string };

export interface WorkerEntry {
  /** Bundle entry name (rollupOptions.input key): out/main/<name>.js. */
  name: string;
  /** Absolute path of the TypeScript source (for source/test mode). */
  source: string;
}

export interface ResolvedWorker {
  file: string;
  mode: 'bundle' | 'source';
  /** What to pass to new Worker(): the file itself, or bootstrap code (eval) for source mode. */
  script: string;
  eval: boolean;
}

/**
 * Picks the bundled .js when it exists (bundle), else the .ts source through tsx. In the bundle
 * this module may sit in a shared chunk (out/main/chunks/) while entries sit in out/main/, so
 * both folders are looked at.
 */
export function resolveWorkerEntry(entry: WorkerEntry, hereDir: string = __dirname): ResolvedWorker {
  const candidates = [join(hereDir, `${entry.name}.js`), join(hereDir, '..', `${entry.name}.js`)];
  const bundled = candidates.find((f) => existsSync(f)) ?? candidates[0];
  if (existsSync(bundled)) return { file: bundled, mode: 'bundle', script: bundled, eval: false };
  if (existsSync(entry.source)) {
    const tsx = createRequire(__filename).resolve('tsx/cjs/api');
    const script = `require(${JSON.stringify(tsx)}).register();\nrequire(${JSON.stringify(entry.source)});\n`;
    return { file: entry.source, mode: 'source', script, eval: true };
  }
  throw new Error(`worker entry ${entry.name} not found: neither ${bundled} nor ${entry.source} exists`);
}

export interface JobHandle<R> {
  /** Resolves with the result; rejects with JobCancelledError after cancel(), or with the worker's error. */
  result: Promise<R>;
  /** Asks the worker to stop at its next check, then terminates it if it has not within `graceMs`. */
  cancel(graceMs?: number): void;
}

/**
 * Starts `entry` with `data` as workerData plus `cancelFlag` (an Int32Array over a
 * SharedArrayBuffer, set to 1 on cancel) so that synchronous inner loops can poll it without
 * returning to the event loop.
 */
export function startWorkerJob<D, P, R>(
  entry: WorkerEntry,
  data: D,
  onProgress?: (p: P) => void,
): JobHandle<R> {
  const resolved = resolveWorkerEntry(entry);
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(resolved.script, {
    eval: resolved.eval,
    workerData: { data, cancelFlag },
    name: `${basename(dirname(resolved.file))}/${entry.name}`,
  });
  let cancelled = false;
  let killTimer: NodeJS.Timeout | null = null;
  const result = new Promise<R>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      fn();
    };
    worker.on('message', (msg: WorkerMessage<P, R>) => {
      if (msg.type === 'progress') onProgress?.(msg.progress);
      else if (msg.type === 'result') settle(() => resolve(msg.result));
      else
        settle(() => {
          if (cancelled || msg.name === 'CancelledError') return reject(new JobCancelledError());
          const err = new Error(msg.message);
          if (msg.name) err.name = msg.name;
          if (msg.stack) err.stack = msg.stack;
          reject(err);
        });
    });
    worker.on('error', (err) => settle(() => reject(cancelled ? new JobCancelledError() : err)));
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          cancelled
            ? new JobCancelledError()
            : new Error(`worker exited with code ${code} before reporting a result`),
        ),
      ),
    );
  });
  return {
    result,
    cancel(graceMs = 5000) {
      if (cancelled) return;
      cancelled = true;
      Atomics.store(cancelFlag, 0, 1);
      killTimer = setTimeout(() => void worker.terminate(), graceMs);
      killTimer.unref();
    },
  };
}

/** Worker side: wires workerData, the cancel flag and the reply protocol around `run`. */
export async function runAsWorkerJob<D, P, R>(
  run: (data: D, ctx: { progress: (p: P) => void; isCancelled: () => boolean }) => Promise<R>,
): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (!parentPort) throw new Error('runAsWorkerJob must be called inside a worker thread');
  const { data, cancelFlag } = workerData as { data: D; cancelFlag: Int32Array };
  const port = parentPort;
  try {
    const result = await run(data, {
      progress: (p) => port.postMessage({ type: 'progress', progress: p } satisfies WorkerMessage<P, R>),
      isCancelled: () => Atomics.load(cancelFlag, 0) === 1,
    });
    port.postMessage({ type: 'result', result } satisfies WorkerMessage<P, R>);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({
      type: 'error',
      message: err.message,
      name: err.name,
      stack: err.stack,
    } satisfies WorkerMessage<P, R>);
  }
}
