// A process killed while it writes a training checkpoint leaves the previous checkpoint whole:
// the writer goes through a temporary file and a rename, so the checkpoint's name only ever
// points at a complete file. The child is killed with SIGKILL while its temporary file exists.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../src/main/engine/checkpoint';

const SIZE = 4_000_000; // 2 × 16 MB per write: long enough to be caught in the middle of one

async function killMidWrite(path: string): Promise<{ tmpLeft: boolean; announced: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/checkpoint-writer.ts'), path, String(SIZE)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let announced = 0;
  child.stdout.setEncoding('utf8').on('data', (s: string) => (announced += s.split('\n').filter(Boolean).length));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const tmpExists = () => readdirSync(join(path, '..')).some((f) => f.endsWith('.tmp'));
  const deadline = Date.now() + 60_000;
  // Wait for the second write to be under way (the first rename has happened), then kill it there.
  while (!(announced >= 2 && tmpExists())) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the writer never started a second checkpoint');
    }
    await new Promise((r) => setImmediate(r));
  }
  child.kill('SIGKILL');
  await exited;
  return { tmpLeft: tmpExists(), announced };
}

describe('checkpoint write killed mid-way', () => {
  it('leaves the previous checkpoint readable and complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-kill-'));
    const path = join(dir, 'train.ckpt');
    writeCheckpoint(path, {
      meta: { generation: 0, step: 0 },
      tensors: new Map([
        ['param:w', new Float32Array(SIZE)],
        ['state:w__m', new Float32Array(SIZE)],
      ]),
    });
    let caughtMidWrite = 0;
    for (let attempt = 0; attempt < 4 && caughtMidWrite < 2; attempt++) {
      const { tmpLeft, announced } = await killMidWrite(path);
      if (tmpLeft) caughtMidWrite++;
      const ck = readCheckpoint(path);
      const g = Number(ck.meta.generation);
      // The last completed generation (the one being written when killed is not there).
      expect(g).toBeGreaterThanOrEqual(1);
      expect(g).toBeLessThan(announced);
      expect(ck.meta.step).toBe(g * 10);
      const w = ck.tensors.get('param:w')!;
      const m = ck.tensors.get('state:w__m')!;
      expect(w.length).toBe(SIZE);
      expect(w.every((v) => v === g)).toBe(true);
      expect(m.every((v) => v === -g)).toBe(true);
    }
    // At least twice the kill landed while a temporary file was half written.
    expect(caughtMidWrite).toBeGreaterThanOrEqual(2);
    expect(existsSync(path)).toBe(true);
  }, 120_000);
});
