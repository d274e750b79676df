// Fleet replication against a real PostgreSQL server: order, idempotency, resumption after the
// link or the server goes away, a long outage, the outbox cap, and central tamper detection.
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Replicator, verifyCentralAuditChain } from '../../../src/main/fleet';
import { Outbox } from '../../../src/main/storage';
import { PG_MISSING, TestPostgres } from './servers';
import { SimStation } from './station-fixture';

if (PG_MISSING) console.warn(`Skipping fleet replication tests: ${PG_MISSING}`);

describe.skipIf(PG_MISSING !== null)('fleet replication into PostgreSQL', () => {
  let pg: TestPostgres;
  let admin: Client;
  const stations: SimStation[] = [];

  beforeAll(async () => {
    pg = await TestPostgres.create();
    admin = await connectAdmin();
  });
  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    for (const s of stations) s.close();
    pg?.destroy();
  });

  /** The test's own link is cut by the server stop too; it reconnects like a station would. */
  async function connectAdmin(): Promise<Client> {
    const c = new Client(pg.config);
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }
  async function station(id: string): Promise<SimStation> {
    const s = await SimStation.create(id);
    stations.push(s);
    return s;
  }
  function replicator(s: SimStation, extra: Partial<ConstructorParameters<typeof Replicator>[0]> = {}) {
    return new Replicator({
      db: s.db,
      stationId: s.id,
      imagesDir: s.imagesDir,
      central: pg.config,
      batchSize: 200,
      backoffMs: 50,
      maxBackoffMs: 400,
      idleMs: 20,
      ...extra,
    });
  }
  async function count(table: string, stationId: string): Promise<number> {
    const r = await admin.query(`SELECT COUNT(*)::int AS n FROM ${table} WHERE station_id = $1`, [stationId]);
    return r.rows[0].n as number;
  }
  async function waitFor(cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('condition not reached in time');
  }
  /** Every seq from 1 to n, exactly once, and inspections ids 1..n in the order they were queued. */
  async function assertComplete(id: string, inspections: number): Promise<void> {
    const log = await admin.query(
      'SELECT COUNT(*)::int AS n, MIN(seq)::int AS lo, MAX(seq)::int AS hi FROM replication_log WHERE station_id = $1',
      [id],
    );
    expect(log.rows[0].lo).toBe(1);
    expect(log.rows[0].hi).toBe(log.rows[0].n);
    expect(await count('inspections', id)).toBe(inspections);
    const order = await admin.query(
      `SELECT entity_id::int AS e FROM replication_log WHERE station_id = $1 AND kind = 'inspection' ORDER BY seq`,
      [id],
    );
    const ids = order.rows.map((r) => r.e as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(inspections);
  }

  it('three stations replicate at once: every record once, in order, images by content hash', async () => {
    const sims = await Promise.all(['line-a', 'line-b', 'line-c'].map((id) => station(id)));
    const reps = sims.map((s) => replicator(s));
    reps.forEach((r) => r.start());
    for (let round = 0; round < 5; round++) {
      for (const s of sims) {
        const ids = await s.inspect(100);
        s.reviews.record({ inspectionId: ids[9], reviewer: 'qa', decision: 'false_alarm', reason: 'glare' });
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    await waitFor(async () => sims.every((s) => new Outbox(s.db).status().queued === 0));
    await Promise.all(reps.map((r) => r.stop()));
    for (const s of sims) {
      await assertComplete(s.id, 500);
      expect(await count('review_decisions', s.id)).toBe(5);
      expect(await count('audit_trail', s.id)).toBe(5);
      expect((await verifyCentralAuditChain(admin, s.id)).ok).toBe(true);
    }
    // 50 REVIEW parts per station, each a distinct picture.
    const imgs = await admin.query(
      `SELECT COUNT(*)::int AS n FROM images WHERE sha256 IN (SELECT image_sha256 FROM inspections WHERE station_id = 'line-a')`,
    );
    expect(imgs.rows[0].n).toBe(50);
  });

  it('link cut mid-batch (backend terminated before COMMIT): nothing half-written, all delivered once', async () => {
    const s = await station('cut-mid');
    await s.inspect(450);
    let cut = false;
    const rep = replicator(s, {
      hooks: {
        beforeCommit: async () => {
          if (cut) return;
          cut = true;
          await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = 'postgres' AND state = 'idle in transaction'`,
          );
          // The first batch was written but not committed: none of it may be visible.
          expect(await count('inspections', 'cut-mid')).toBe(0);
        },
      },
    });
    await expect(rep.shipBatch()).rejects.toThrow();
    expect(await count('inspections', 'cut-mid')).toBe(0);
    expect(new Outbox(s.db).status().queued).toBe(495); // 450 rows + 45 REVIEW images
    await rep.drain();
    await assertComplete('cut-mid', 450);
    await rep.stop();
  });

  it('server stopped mid-batch (before COMMIT) and restarted: the batch is resent, stored once', async () => {
    const s = await station('stop-mid');
    await s.inspect(300);
    let stopped = false;
    const rep = replicator(s, {
      hooks: {
        beforeCommit: async () => {
          if (stopped) return;
          stopped = true;
          pg.stop(); // fast shutdown: the open transaction is aborted with the server
        },
      },
    });
    await expect(rep.shipBatch()).rejects.toThrow();
    expect(new Outbox(s.db).status().queued).toBe(330);
    pg.start();
    admin = await connectAdmin();
    expect(await count('inspections', 'stop-mid')).toBe(0);
    await rep.drain();
    await assertComplete('stop-mid', 300);
    await rep.stop();
  });

  it('acknowledgement lost after COMMIT: the redelivered batch is stored once', async () => {
    const s = await station('dup');
    await s.inspect(300);
    let lost = false;
    const rep = replicator(s, {
      hooks: {
        afterCommit: async () => {
          if (lost) return;
          lost = true;
          throw new Error('station stopped before it recorded the acknowledgement');
        },
      },
    });
    await expect(rep.shipBatch()).rejects.toThrow(/acknowledgement/);
    // The first batch (200 entries: 182 inspections, 18 images) is committed centrally.
    expect(await count('inspections', 'dup')).toBe(182);
    expect(new Outbox(s.db).status().queued).toBe(330); // nothing acknowledged locally
    // A fresh replicator, as after a station restart, sends the same first batch again.
    const again = replicator(s);
    await again.drain();
    await assertComplete('dup', 300);
    await again.stop();
    await rep.stop();
  });

  it('server stopped and restarted while a station keeps inspecting: it resumes by itself', async () => {
    const s = await station('outage');
    const rep = replicator(s);
    rep.start();
    await s.inspect(100);
    await waitFor(async () => (await count('inspections', 'outage')) === 100);
    pg.stop();
    await s.inspect(200);
    await waitFor(async () => rep.state().lastError !== null);
    expect(rep.state().outbox.queued).toBeGreaterThanOrEqual(200);
    pg.start();
    await waitFor(async () => new Outbox(s.db).status().queued === 0);
    await rep.stop();
    await admin.end().catch(() => undefined);
    admin = await connectAdmin();
    await assertComplete('outage', 300);
  });

  it('a station offline for 10 000 inspections catches up, and records the rate', async () => {
    const s = await station('offline');
    for (let i = 0; i < 10; i++) await s.inspect(1000);
    expect(new Outbox(s.db).status().queued).toBe(11_000); // 10 000 rows + 1 000 REVIEW images
    const rep = replicator(s, { batchSize: 1000 });
    const t0 = performance.now();
    await rep.drain();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `catch-up: 11000 outbox entries (10000 inspections) in ${seconds.toFixed(2)} s = ${(11000 / seconds).toFixed(0)} entries/s`,
    );
    await assertComplete('offline', 10_000);
    await rep.stop();
  });

  it('the outbox cap bounds the queue and the station reports it; its own writes still commit', async () => {
    const s = await station('capped');
    const outbox = new Outbox(s.db);
    outbox.setCap(50);
    await s.inspect(100);
    const st = outbox.status();
    expect(st).toMatchObject({ queued: 50, cap: 50, full: true, dropped: 60 });
    expect(st.firstDroppedAt).not.toBeNull();
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM inspections').get()).toEqual({ n: 100 });
    // Once the link drains the outbox, resync passes queue what the cap refused, a cap's worth
    // at a time: nothing is lost.
    const rep = replicator(s);
    rep.start();
    await waitFor(async () => outbox.status().queued === 0 && outbox.status().dropped === 0);
    await rep.stop();
    expect(await count('inspections', 'capped')).toBe(100);
    const imgs = await admin.query(
      `SELECT COUNT(*)::int AS n FROM images WHERE sha256 IN (SELECT image_sha256 FROM inspections WHERE station_id = 'capped')`,
    );
    expect(imgs.rows[0].n).toBe(10);
    expect(outbox.status().firstDroppedAt).toBeNull();
  });

  it('central tamper detection: a row changed or removed in PostgreSQL breaks the station chain', async () => {
    const s = await station('tamper');
    for (let i = 0; i < 6; i++)
      s.audit.append({
        actor: 'op',
        action: 'settings.update',
        entity: 'settings',
        newValue: `{"t":${i}}`,
        reason: 'shift',
      });
    const rep = replicator(s);
    await rep.drain();
    await rep.stop();
    expect(await verifyCentralAuditChain(admin, 'tamper')).toMatchObject({ ok: true, rows: 6 });
    await admin.query(`UPDATE audit_trail SET new_value = '{"t":99}' WHERE station_id = 'tamper' AND id = 4`);
    expect(await verifyCentralAuditChain(admin, 'tamper')).toMatchObject({ ok: false, firstBadId: 4 });
    await admin.query(`UPDATE audit_trail SET new_value = '{"t":3}' WHERE station_id = 'tamper' AND id = 4`);
    await admin.query(`DELETE FROM audit_trail WHERE station_id = 'tamper' AND id = 2`);
    expect(await verifyCentralAuditChain(admin, 'tamper')).toMatchObject({ ok: false, firstBadId: 2 });
  });

  it('a station database replaced under an old id is refused, not silently discarded', async () => {
    const first = await station('reused');
    await first.inspect(5);
    await replicator(first).drain();
    const second = await SimStation.create('reused');
    stations.push(second);
    second.audit.append({ actor: 'op', action: 'x', entity: 'y' });
    await expect(replicator(second).drain()).rejects.toThrow(/replaced/);
  });
});
