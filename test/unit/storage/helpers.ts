import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewInspection, Verdict } from '../../../src/main/storage/inspections';

export function tempDir(prefix = 'station-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic inspection row; `i` spreads time, scores and verdicts. */
export function inspection(i: number, overrides: Partial<NewInspection> = {}): NewInspection {
  const verdicts: Verdict[] = ['PASS', 'PASS', 'PASS', 'REVIEW', 'FAIL'];
  const at = new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 2) * 1000).toISOString();
  return {
    at,
    source: 'replay:demo',
    frameId: `f${i}`,
    modelId: i % 3 === 0 ? 'model-b' : 'model-a',
    modelVersion: 1,
    rawScore: (i % 97) / 10,
    normScore: (i % 100) / 100,
    verdict: verdicts[i % verdicts.length],
    latencyMs: 12.5,
    ...overrides,
  };
}
