// A worker that steps back lowers its own priority only: the main thread keeps its nice value and
// its normal scheduling policy.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { lowerThisThreadPriority } from '../../../src/main/util/thread-priority';

const hasChrt = (() => {
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `body` (CommonJS, with `thread-priority` required as `tp`) in a worker; resolves its message. */
async function inWorker<T>(body: string): Promise<T> {
  const tsx = createRequire(__filename).resolve('tsx/cjs/api');
  const source = join(__dirname, '../../../src/main/util/thread-priority.ts');
  const worker = new Worker(
    `
      require(${JSON.stringify(tsx)}).register();
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const tp = require(${JSON.stringify(source)});
      // Fields of /proc/thread-self/stat after the command name, read independently of src.
      const stat = () => { const s = readFileSync('/proc/thread-self/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' '); };
      ${body}
    `,
    { eval: true },
  );
  try {
    return await new Promise<T>((ok, fail) => {
      worker.once('message', ok);
      worker.once('error', fail);
    });
  } finally {
    await worker.terminate();
  }
}

describe('lowerThisThreadPriority', () => {
  it.runIf(process.platform === 'linux')(
    'renices the calling worker thread and not the main thread',
    async () => {
      const before = getPriority();
      // Field 19 is the thread's nice value.
      const reply = await inWorker<{ after: number; nice: number }>(
        `const after = tp.lowerThisThreadPriority(10); parentPort.postMessage({ after, nice: Number(stat()[16]) });`,
      );
      expect(reply.after).toBeGreaterThanOrEqual(10);
      expect(reply.nice).toBe(reply.after);
      expect(getPriority()).toBe(before);
    },
  );

  it.runIf(process.platform === 'linux' && hasChrt)(
    'puts a background worker thread under SCHED_IDLE at nice 10, and not the main thread',
    async () => {
      // Field 41 is the scheduling policy: 0 normal, 5 SCHED_IDLE.
      const reply = await inWorker<{
        r: { nice: number; idlePolicy: boolean };
        policy: number;
        nice: number;
      }>(
        `const r = tp.runThisThreadInBackground(); const f = stat(); parentPort.postMessage({ r, policy: Number(f[38]), nice: Number(f[16]) });`,
      );
      expect(reply).toEqual({ r: { nice: 10, idlePolicy: true }, policy: 5, nice: 10 });
      const self = readFileSync('/proc/thread-self/stat', 'utf8');
      expect(Number(self.slice(self.lastIndexOf(')') + 2).split(' ')[38])).toBe(0);
    },
  );

  it.runIf(process.platform !== 'linux')('changes nothing where threads cannot be reniced', () => {
    expect(lowerThisThreadPriority(10)).toBeNull();
  });
});
