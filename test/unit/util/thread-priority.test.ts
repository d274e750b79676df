// A worker that steps back lowers its own priority only: the main thread keeps its nice value.
import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { lowerThisThreadPriority } from '../../../src/main/util/thread-priority';

describe('lowerThisThreadPriority', () => {
  it.runIf(process.platform === 'linux')(
    'renices the calling worker thread and not the main thread',
    async () => {
      const before = getPriority();
      const tsx = createRequire(__filename).resolve('tsx/cjs/api');
      const source = join(__dirname, '../../../src/main/util/thread-priority.ts');
      const worker = new Worker(
        `
      require(${JSON.stringify(tsx)}).register();
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const { lowerThisThreadPriority } = require(${JSON.stringify(source)});
      const after = lowerThisThreadPriority(10);
      // Field 19 of /proc/thread-self/stat is the thread's nice value, read independently.
      const stat = readFileSync('/proc/thread-self/stat', 'utf8');
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      parentPort.postMessage({ after, nice });
      `,
        { eval: true },
      );
      const reply = await new Promise<{ after: number; nice: number }>((ok, fail) => {
        worker.once('message', ok);
        worker.once('error', fail);
      });
      await worker.terminate();
      expect(reply.after).toBeGreaterThanOrEqual(10);
      expect(reply.nice).toBe(reply.after);
      expect(getPriority()).toBe(before);
    },
  );

  it.runIf(process.platform !== 'linux')('changes nothing where threads cannot be reniced', () => {
    expect(lowerThisThreadPriority(10)).toBeNull();
  });
});
