// The paused-job record beside a training checkpoint: written whole or not at all, read back
// only when it is one this station wrote, and the pause refused in words where it cannot apply.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainingJobDto } from '@shared/training';
import { findMethod } from '../../../src/main/wizard/methods';
import {
  PAUSED_RECORD,
  pauseRefusal,
  readPausedRecord,
  writePausedRecord,
  type PausedJobRecord,
} from '../../../src/main/wizard/paused-jobs';

const img = (i: number) => ({
  path: `/data/good/${i}.png`,
  name: `${i}.png`,
  sha256: String(i).repeat(64).slice(0, 64),
  width: 32,
  height: 32,
  channels: 3,
});

const record = (): PausedJobRecord => ({
  version: 1,
  dto: {
    id: 'job-20261202150000-abc123',
    state: 'paused',
    method: 'dfr',
    preset: 'fast',
    backbone: 'mobilenet_v2',
    goodDir: '/data/good',
    defectDir: null,
    startedAt: '2026-12-02T15:00:00.000Z',
    finishedAt: '2026-12-02T15:01:00.000Z',
    elapsedMs: 60_000,
    estimateMs: 90_000,
    progress: { stage: 'train', stageLabel: 'train', done: 4, total: 12, fraction: 0.3, etaMs: null },
    fitImages: 2,
    heldOutImages: 1,
    defectImages: 0,
    error: null,
    savedAs: null,
    actor: 'dana',
    lossCurve: { train: [{ step: 4, loss: 0.7 }], validation: [], best: null },
    device: { provider: 'cpu', skipped: [{ name: 'cuda', reason: 'not installed' }] },
    pausable: true,
    paused: { at: '2026-12-02T15:01:00.000Z', by: 'dana', reason: 'shift change', step: 4, totalSteps: 12 },
  } satisfies TrainingJobDto,
  fit: [img(1), img(2)],
  heldOut: [img(3)],
  defects: [],
  masks: [],
  productId: null,
});

describe('paused-job record', () => {
  it('round-trips through a temp file and rename (no temp file left)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paused-rec-'));
    writePausedRecord(dir, record());
    expect(readdirSync(dir)).toEqual([PAUSED_RECORD]);
    expect(await readPausedRecord(dir)).toEqual(record());
  });

  it('reads nothing from a folder without one, a truncated one, or one that is not paused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paused-bad-'));
    expect(await readPausedRecord(dir)).toBeNull();
    const text = JSON.stringify(record());
    writeFileSync(join(dir, PAUSED_RECORD), text.slice(0, text.length / 2));
    expect(await readPausedRecord(dir)).toBeNull();
    const running = record();
    (running.dto as { state: string }).state = 'fitting';
    writeFileSync(join(dir, PAUSED_RECORD), JSON.stringify(running));
    expect(await readPausedRecord(dir)).toBeNull();
    const escaped = record();
    escaped.dto.id = '../../etc';
    writeFileSync(join(dir, PAUSED_RECORD), JSON.stringify(escaped));
    expect(await readPausedRecord(dir)).toBeNull();
  });

  it('refuses a pause in words: PatchCore has no steps; only a fitting job pauses', () => {
    expect(pauseRefusal(findMethod('patchcore'), 'fitting')).toMatch(/PatchCore does not train by gradient steps/);
    const dfr = findMethod('dfr');
    expect(pauseRefusal(dfr, 'fitting')).toBeNull();
    expect(pauseRefusal(dfr, 'preparing')).toMatch(/still preparing/);
    expect(pauseRefusal(dfr, 'calibrating')).toMatch(/calibrating/);
    expect(pauseRefusal(dfr, 'paused')).toMatch(/already paused/);
    expect(pauseRefusal(dfr, 'ready')).toMatch(/has ended \(ready\)/);
    expect(pauseRefusal(undefined, 'fitting')).toMatch(/method this station does not have/);
  });
});
