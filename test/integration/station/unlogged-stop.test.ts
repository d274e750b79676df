// A database that keeps refusing inspection rows (disk still full after the reserve was given)
// stops the line after the grace time instead of letting parts pass unrecorded; the rows held
// meanwhile are committed once the database accepts writes again, and the stop is audited.
// The refusal is real SQLite: max_page_count caps the file, so inserts fail with SQLITE_FULL.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoPaths } from '../../../src/main/demo';
import type { Db } from '../../../src/main/storage';
import { stationEnv, tempDir, tinyDemo, until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let demo: DemoPaths;

beforeAll(async () => {
  tmp = tempDir('station-unlogged');
  demo = await tinyDemo(join(tmp.dir, 'data'));
});
afterAll(() => tmp.cleanup());

const rowCount = (db: Db): number =>
  (db.prepare('SELECT COUNT(*) AS n FROM inspections').get() as { n: number }).n;

describe('records that cannot be written', () => {
  it('stops the line after the grace time, keeps the rows, commits and audits them when writes return', async () => {
    const env = await stationEnv(join(tmp.dir, 'run'), { options: { flushMs: 50, unloggedStopMs: 800 } });
    try {
      await env.station.loadModel(demo.modelDir);
      await env.station.start({ kind: 'replay', folder: demo.lineDir, fps: 25, loop: true });
      await until(() => rowCount(env.db) >= 5, 'rows committed before the fault');

      const pages = env.db.pragma('page_count', { simple: true }) as number;
      env.db.pragma(`max_page_count = ${pages}`);
      const refusedAt = Date.now();
      await until(() => env.station.state().status !== 'running', 'the line to stop', 15_000);
      expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(700);
      const state = env.station.state();
      expect(state.error?.kind).toBe('logging');
      expect(state.error?.message).toMatch(/line stopped: inspection records could not be written/);
      // Frames still in flight when the stop began are logged too: count once the line is idle.
      const inspected = env.station.stats().framesInspected;
      expect(rowCount(env.db)).toBeLessThan(inspected);

      env.db.pragma('max_page_count = 1073741823');
      await until(
        () => rowCount(env.db) === env.station.stats().framesInspected,
        'every inspected frame committed',
        10_000,
      );
      expect(env.station.stats().framesInspected).toBeGreaterThanOrEqual(inspected);
      await until(
        () =>
          env.db
            .prepare("SELECT 1 FROM audit_trail WHERE action = 'station.stop' AND actor = 'station'")
            .get(),
        'the automatic stop audited',
        10_000,
      );
      await until(() => env.station.state().error === null, 'the fault cleared on recovery', 5_000);
      const why = env.db
        .prepare("SELECT reason FROM audit_trail WHERE action = 'station.stop' AND actor = 'station'")
        .get() as { reason: string };
      expect(why.reason).toMatch(/could not be written/);
    } finally {
      await env.close();
    }
  }, 60_000);
});
