import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, FrameSink, SourceErrorInfo, SourceState } from '../../../src/main/sources';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Recorder = FrameSink & { frames: Frame[]; states: SourceState[]; errors: SourceErrorInfo[] };

export function recorder(extra: Partial<FrameSink> = {}): Recorder {
  const frames: Frame[] = [];
  const states: SourceState[] = [];
  const errors: SourceErrorInfo[] = [];
  return {
    frames,
    states,
    errors,
    frame: (f) => frames.push(f),
    state: (s) => states.push(s),
    error: (e) => errors.push(e),
    ...extra,
  };
}

export async function until(fn: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
