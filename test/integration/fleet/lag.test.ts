// Replication lag under the production rate the issue sets: 3 stations, 20 inspections/s each,
// written in 250 ms batches as the station's result logger does. Lag is from the outbox entry's
// commit on the station to its commit in PostgreSQL (both clocks are this machine's).
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Replicator } from '../../../src/main/fleet';
import { PG_MISSING, TestPostgres } from './servers';
import { SimStation } from './station-fixture';

const SECONDS = Number(process.env.FLEET_LAG_SECONDS ?? 20);
const RATE = 20;

describe.skipIf(PG_MISSING !== null)('replication lag', () => {
  let pg: TestPostgres;
  const sims: SimStation[] = [];
  beforeAll(async () => {
    pg = await TestPostgres.create();
  });
  afterAll(() => {
    sims.forEach((s) => s.close());
    pg?.destroy();
  });

  it(
    `3 stations at ${RATE} inspections/s for ${SECONDS} s: p95 lag ≤ 5 s`,
    { timeout: (SECONDS + 60) * 1000 },
    async () => {
      for (const id of ['lag-a', 'lag-b', 'lag-c']) sims.push(await SimStation.create(id));
      const reps = sims.map(
        (s) => new Replicator({ db: s.db, stationId: s.id, imagesDir: s.imagesDir, central: pg.config }),
      );
      reps.forEach((r) => r.start());
      const perTick = RATE / 4;
      const end = Date.now() + SECONDS * 1000;
      let next = Date.now();
      while (Date.now() < end) {
        for (const s of sims) await s.inspect(perTick);
        next += 250;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
      const admin = new Client(pg.config);
      await admin.connect();
      // A loaded machine may run fewer ticks than planned: count the outbox entries written.
      const expected = sims.reduce((sum, s) => sum + s.entriesQueued, 0);
      for (let i = 0; i < 200; i++) {
        const r = await admin.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM replication_log');
        if (r.rows[0].n >= expected) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(reps.map((r) => r.stop()));
      const q = await admin.query<{ n: number; p50: number; p95: number; max: number }>(
        `SELECT COUNT(*)::int AS n,
         percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM received_at - queued_at)) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - queued_at)) AS p95,
         MAX(extract(epoch FROM received_at - queued_at))::float AS max
       FROM replication_log WHERE station_id LIKE 'lag-%'`,
      );
      await admin.end();
      const { n, p50, p95, max } = q.rows[0];
      console.log(
        `replication lag, 3 stations x ${RATE}/s x ${SECONDS} s: ${n} entries, p50 ${(p50 * 1000).toFixed(0)} ms, p95 ${(p95 * 1000).toFixed(0)} ms, max ${(max * 1000).toFixed(0)} ms`,
      );
      expect(n).toBe(expected);
      expect(p95).toBeLessThanOrEqual(5);
    },
  );
});
