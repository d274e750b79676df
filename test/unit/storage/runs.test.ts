// Runs: one id per start of the line, distinct across restarts of the station and never reused.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/main/storage/database';
import { RunRepository } from '../../../src/main/storage/runs';
import { sourceRefOf } from '../../../src/main/station/live-station';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('station-runs-');
});
afterEach(() => tmp.cleanup());

describe('RunRepository', () => {
  it('gives every start a new id, across restarts, even when the newest run row is gone', () => {
    const file = join(tmp.dir, 'station.db');
    const start = { productId: 'plate-a', modelId: 'm1', source: 'replay:/line' };
    let db = openDatabase(file);
    const a = new RunRepository(db).open({ startedAt: '2026-01-01T06:00:00.000Z', ...start });
    const b = new RunRepository(db).open({ startedAt: '2026-01-01T07:00:00.000Z', ...start });
    new RunRepository(db).end(b, '2026-01-01T08:00:00.000Z');
    db.close();
    db = openDatabase(file);
    const runs = new RunRepository(db);
    expect(runs.get(b)).toMatchObject({ id: b, endedAt: '2026-01-01T08:00:00.000Z', productId: 'plate-a' });
    db.prepare('DELETE FROM runs WHERE id = ?').run(b);
    const c = runs.open({ startedAt: '2026-01-02T06:00:00.000Z', ...start, productId: null });
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(runs.get(c)).toMatchObject({ productId: null, endedAt: null, source: 'replay:/line' });
    db.close();
  });
});

describe('sourceRefOf', () => {
  it('is the file name for folder sources and the stream time for streams', () => {
    expect(sourceRefOf({ name: 'part_0042.png' })).toBe('part_0042.png');
    expect(sourceRefOf({ streamTime: 12.3 })).toBe('t=12.300s');
    expect(sourceRefOf({ name: 'a.png', streamTime: 1 })).toBe('a.png');
    expect(sourceRefOf({})).toBeNull();
    expect(sourceRefOf({ streamTime: Number.NaN })).toBeNull();
  });
});
