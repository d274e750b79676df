// Central review page latency over a large central database: seeds N inspections (default
// 1 000 000, 5 stations, 3 products, ~10 % flagged, a fifth of those reviewed) into a throwaway
// PostgreSQL with generate_series, then times the fleet server's own queries (CentralStore)
// the way the review and lines screens issue them. Run: npx tsx scripts/bench-fleet-review.ts [N]
import { Client } from 'pg';
import { CentralStore } from '../src/main/fleet/central-store';
import type { FleetFilter } from '../src/shared/fleet';
import { TestPostgres } from '../test/integration/fleet/servers';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = 40;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm the plan and the cache
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  console.log(`| ${label} | ${pct(ms, 50).toFixed(1)} | ${pct(ms, 95).toFixed(1)} |`);
}

async function main(): Promise<void> {
  const pg = await TestPostgres.create();
  try {
    const store = await CentralStore.open({ connectionString: pg.url }); // creates the schema
    const c = new Client(pg.config);
    await c.connect();
    const t0 = performance.now();
    await c.query(
      `INSERT INTO stations (station_id, last_seq) SELECT 'line-' || s, 0 FROM generate_series(1, 5) s`,
    );
    // 30 days of inspections, ~2.6 s apart; verdict from the id: 3 % FAIL, 7 % REVIEW.
    await c.query(
      `INSERT INTO inspections (station_id, id, at, source, frame_id, model_id, model_version, raw_score,
         norm_score, verdict, latency_ms, product, run_id)
       SELECT 'line-' || (1 + g % 5), g, to_char(timestamp '2026-11-01' + g * interval '2.6 second',
           'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'camera', 'f-' || g, 'patchcore-v3', 3, (g % 997) / 100.0,
         CASE WHEN g % 100 < 3 THEN 0.9 WHEN g % 100 < 10 THEN 0.6 ELSE (g % 50) / 100.0 END,
         CASE WHEN g % 100 < 3 THEN 'FAIL' WHEN g % 100 < 10 THEN 'REVIEW' ELSE 'PASS' END, 12.5,
         (ARRAY['bracket-a', 'hinge-b', 'cover-c'])[1 + (g / 7) % 3], 1 + g / 50000
       FROM generate_series(1, $1::int) g`,
      [N],
    );
    // A fifth of the flagged parts already decided at their station.
    await c.query(
      `INSERT INTO review_decisions (station_id, id, inspection_id, decided_at, reviewer, decision, reason)
       SELECT station_id, id, id, at, 'qa', 'defect_confirmed', 'seeded' FROM inspections
       WHERE verdict <> 'PASS' AND id % 5 = 0`,
    );
    await c.query('ANALYZE');
    const seeded = await c.query<{ n: string; f: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE verdict <> 'PASS') AS f FROM inspections`,
    );
    console.log(
      `Seeded ${Number(seeded.rows[0].n).toLocaleString('en')} inspections (${Number(seeded.rows[0].f).toLocaleString('en')} flagged) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    const queue: FleetFilter = { verdicts: ['FAIL', 'REVIEW'], reviewed: false };
    const first = await store.list(queue, undefined, 40);
    // Deep in the queue: a cursor about half-way back in time.
    const mid = await c.query<{ at: string; gid: string }>(
      `SELECT at, gid FROM inspections WHERE verdict <> 'PASS' ORDER BY at DESC, gid DESC OFFSET $1 LIMIT 1`,
      [Math.floor(Number(seeded.rows[0].f) / 2)],
    );
    const deep = { at: mid.rows[0].at, id: Number(mid.rows[0].gid) };
    const weekAgo = new Date(Date.parse('2026-11-25T00:00:00Z')).toISOString();
    console.log('| query | p50 ms | p95 ms |');
    console.log('| --- | ---: | ---: |');
    await time('queue, first page (40 open FAIL+REVIEW, all stations)', () =>
      store.list(queue, undefined, 40),
    );
    await time('queue, half-way back (keyset cursor)', () => store.list(queue, deep, 40));
    await time('queue, station + product filter', () =>
      store.list({ ...queue, stationId: 'line-3', product: 'hinge-b' }, undefined, 40),
    );
    await time('queue, station + product + 7 days', () =>
      store.list({ ...queue, stationId: 'line-3', product: 'hinge-b', from: weekAgo }, undefined, 40),
    );
    await time('detail of one part (fleet.inspection)', () => store.get(first.rows[0].id));
    await time('yield per line, everything (hourly summary)', () => store.yieldByStation({}));
    await time('yield per line, one product, 7 days (hourly summary)', () =>
      store.yieldByStation({ product: 'hinge-b', from: weekAgo }),
    );
    await time('yield per line, score ≥ 0.5 (counts the rows)', () =>
      store.yieldByStation({ minScore: 0.5 }),
    );
    await time('stations + products (fleet.overview)', () => store.overview());

    await c.end();
    await store.close();
  } finally {
    pg.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
