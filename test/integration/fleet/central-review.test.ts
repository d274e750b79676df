// The fleet server's store against a real PostgreSQL fed by real replication: the queue across
// stations, filters, per-line yield, CSV, images, central verification of signed checkpoints and
// sealed inspections, and tamper detection on rows changed in PostgreSQL.
import { Client, type Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCsvLines } from '../../../src/main/api/fleet-server-handlers';
import { CentralStore } from '../../../src/main/fleet/central-store';
import { Replicator } from '../../../src/main/fleet';
import { attachSigningKey, loadOrCreateSigningKey } from '../../../src/main/storage/checkpoints';
import { PG_MISSING, TestPostgres } from './servers';
import { SimStation } from './station-fixture';

if (PG_MISSING) console.warn(`Skipping central review test: ${PG_MISSING}`);

describe.skipIf(PG_MISSING !== null)('central review store over replicated stations', () => {
  let pg: TestPostgres;
  let stations: SimStation[] = [];
  let store: CentralStore;
  let admin: Client;

  beforeAll(async () => {
    pg = await TestPostgres.create();
    stations = await Promise.all(['line-1', 'line-2'].map((id) => SimStation.create(id)));
    for (const s of stations) {
      // Signed like a real station, so checkpoints verify centrally.
      attachSigningKey(s.db, loadOrCreateSigningKey(s.dir));
      s.audit.append({ actor: 'admin', action: 'test.setup', entity: 'station', reason: 'fixture' });
    }
    // Products (station schema v5) travel with each inspection and are sealed with it.
    const productOf = (k: number) => ((k + 1) % 20 === 0 ? 'bracket' : 'hinge');
    await stations[0].inspect(200, productOf);
    await stations[1].inspect(100, productOf);
    for (const s of stations) {
      const r = new Replicator({ db: s.db, stationId: s.id, imagesDir: s.imagesDir, central: pg.config });
      await r.drain();
      await r.stop();
    }
    store = await CentralStore.open({ connectionString: pg.url });
    admin = new Client(pg.config);
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    await admin?.end();
    await store?.close();
    for (const s of stations) s.close();
    pg?.destroy();
  });

  it('lists the review queue across stations, newest first, in keyset pages without gaps', async () => {
    const seen: number[] = [];
    let after: { at: string; id: number } | undefined;
    for (;;) {
      const page = await store.list({ verdicts: ['FAIL', 'REVIEW'] }, after, 7);
      seen.push(...page.rows.map((r) => r.id));
      for (const r of page.rows) expect(r.verdict).not.toBe('PASS');
      if (!page.next) break;
      after = page.next;
    }
    // Every 10th part of each station is REVIEW: 20 + 10.
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    const all = await store.list({ verdicts: ['FAIL', 'REVIEW'] }, undefined, 100);
    expect(new Set(all.rows.map((r) => r.stationId))).toEqual(new Set(['line-1', 'line-2']));
    const keys = all.rows.map((r) => `${r.at}|${String(r.id).padStart(10, '0')}`);
    expect([...keys].sort().reverse()).toEqual(keys);
  });

  it('filters by station and by product', async () => {
    const l2 = await store.list({ verdicts: ['REVIEW'], stationId: 'line-2' }, undefined, 100);
    expect(l2.rows).toHaveLength(10);
    expect(l2.rows.every((r) => r.stationId === 'line-2')).toBe(true);
    const hinge = await store.list({ verdicts: ['REVIEW'], product: 'hinge' }, undefined, 100);
    expect(hinge.rows.length).toBeGreaterThan(0);
    expect(hinge.rows.every((r) => r.productId === 'hinge' && r.stationInspectionId % 20 === 10)).toBe(true);
    const bracket = await store.yieldByStation({ product: 'bracket' });
    expect(bracket.map((r) => [r.stationId, r.total])).toEqual([
      ['line-1', 10],
      ['line-2', 5],
    ]);
    const overview = await store.overview();
    expect(overview.products).toEqual(['bracket', 'hinge']);
    expect(overview.stations.map((s) => s.stationId)).toEqual(['line-1', 'line-2']);
  });

  it('reports yield per station from the hourly summary and from a full count alike', async () => {
    const hourly = await store.yieldByStation({});
    expect(hourly).toEqual([
      expect.objectContaining({
        stationId: 'line-1',
        total: 200,
        pass: 180,
        review: 20,
        fail: 0,
        yield: 0.9,
      }),
      expect.objectContaining({ stationId: 'line-2', total: 100, pass: 90, review: 10, fail: 0, yield: 0.9 }),
    ]);
    // A score filter cannot use the summary; the counted answer must agree with the rows.
    const counted = await store.yieldByStation({ minScore: 0.5 });
    const direct = await admin.query<{ station_id: string; n: string }>(
      `SELECT station_id, count(*) AS n FROM inspections WHERE norm_score >= 0.5 GROUP BY 1 ORDER BY 1`,
    );
    expect(counted.map((r) => [r.stationId, r.total])).toEqual(
      direct.rows.map((r) => [r.station_id, Number(r.n)]),
    );
  });

  it('streams the filtered rows as CSV, header first, one line per row', async () => {
    let text = '';
    for await (const chunk of fleetCsvLines(store, { stationId: 'line-1' }, 64)) text += chunk;
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^central_id,station,station_inspection_id,product,run_id,source_ref,/);
    expect(lines).toHaveLength(201);
    expect(lines.slice(1).every((l) => l.split(',')[1] === 'line-1')).toBe(true);
  });

  it('serves replicated images by content hash', async () => {
    const row = (await store.list({ verdicts: ['REVIEW'], stationId: 'line-1' }, undefined, 1)).rows[0];
    expect(row.imageRef).toMatch(/^[0-9a-f]{64}$/);
    const bytes = await store.image(row.imageRef!);
    expect(bytes?.toString()).toMatch(/^line-1 part \d+ png bytes$/);
  });

  it('verifies each station centrally: signed checkpoints, sealed batches, audit chain', async () => {
    for (const id of ['line-1', 'line-2']) {
      const v = await store.verify(id);
      expect(v.audit.ok, v.audit.problem ?? '').toBe(true);
      expect(v.records.ok, v.records.problem ?? '').toBe(true);
      expect(v.records.checkpoints).toBeGreaterThan(0);
      expect(v.records.inspections).toBe(id === 'line-1' ? 200 : 100);
      expect(v.records.pendingInspections).toBe(0);
    }
  });

  it('detects an inspection changed, a row deleted, and a checkpoint forged in PostgreSQL', async () => {
    await admin.query(`UPDATE inspections SET verdict = 'PASS' WHERE station_id = 'line-2' AND id = 10`);
    let v = await store.verify('line-2');
    expect(v.records.ok).toBe(false);
    expect(v.records.firstBad).toEqual({ kind: 'inspection', id: 10 });
    expect(v.records.problem).toMatch(/altered/);
    await admin.query(`UPDATE inspections SET verdict = 'REVIEW' WHERE station_id = 'line-2' AND id = 10`);
    expect((await store.verify('line-2')).records.ok).toBe(true);

    await admin.query(`DELETE FROM inspections WHERE station_id = 'line-1' AND id = 5`);
    v = await store.verify('line-1');
    expect(v.records.firstBad).toEqual({ kind: 'inspection', id: 5 });
    expect(v.records.problem).toMatch(/deleted/);

    await admin.query(
      `UPDATE station_checkpoints SET statement = replace(statement, '"lastId":1', '"lastId":2')
       WHERE station_id = 'line-2'`,
    );
    v = await store.verify('line-2');
    expect(v.records.ok).toBe(false);
    expect(v.records.firstBad?.kind).toBe('checkpoint');
  });
  it('reads a detail from one snapshot: a decision landing between its queries shows in none of it', async () => {
    const open = await store.list({ verdicts: ['FAIL', 'REVIEW'], reviewed: false }, undefined, 1);
    const part = open.rows[0];
    // Lands right after the detail's first query (the inspection row with its latest review), as
    // replication may at any moment; the decision lists are read after it.
    const pool = (store as unknown as { pool: Pool }).pool;
    let landed = false;
    const land = async (sql: unknown): Promise<void> => {
      if (landed || typeof sql !== 'string' || !/FROM inspections i/.test(sql)) return;
      landed = true;
      await admin.query(
        `INSERT INTO review_decisions (station_id, id, inspection_id, decided_at, reviewer, decision, reason)
         VALUES ($1, 990001, $2, $3, 'qa.race', 'false_alarm', 'lands mid-read')`,
        [part.stationId, part.stationInspectionId, new Date().toISOString()],
      );
    };
    // Any query function, followed by the landing once its result is in.
    const thenLand = <F>(run: F): F =>
      (async (...a: unknown[]) => {
        const r = await (run as (...x: unknown[]) => Promise<unknown>)(...a);
        await land(a[0]);
        return r;
      }) as F;
    const query = pool.query.bind(pool);
    const connect = pool.connect.bind(pool);
    pool.query = thenLand(query);
    // pg's own pool.query checks a client out with a callback: that path stays as it was.
    pool.connect = ((...a: unknown[]) => {
      if (a.length > 0) return (connect as (...x: unknown[]) => unknown)(...a);
      return connect().then((c) => {
        c.query = thenLand(c.query.bind(c));
        return c;
      });
    }) as Pool['connect'];
    try {
      const during = await store.get(part.id);
      expect(landed).toBe(true);
      expect(during.inspection.review).toBeNull();
      expect(during.stationDecisions).toEqual([]);
      const after = await store.get(part.id);
      expect(after.inspection.review?.reviewer).toBe('qa.race');
      expect(after.stationDecisions.map((d) => d.reviewer)).toEqual(['qa.race']);
    } finally {
      pool.query = query;
      pool.connect = connect;
      await admin.query(`DELETE FROM review_decisions WHERE id = 990001`);
    }
  });
});
