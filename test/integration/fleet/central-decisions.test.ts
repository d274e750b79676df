// Review decisions made on the fleet server travel back to the station that inspected the part
// and are applied there through the station's own review path (audited with who and why), once,
// even across an outage of the central database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch';
import { CentralStore } from '../../../src/main/fleet/central-store';
import { DecisionLink } from '../../../src/main/fleet/decision-link';
import { Replicator } from '../../../src/main/fleet';
import { InspectionRepository, SettingsStore } from '../../../src/main/storage';
import { openStation, type Station } from '../../../src/main/station-services';
import { PG_MISSING, TestPostgres } from './servers';
import { SimStation } from './station-fixture';

if (PG_MISSING) console.warn(`Skipping central decisions test: ${PG_MISSING}`);

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined> | T | null | undefined,
  ms = 20_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(PG_MISSING !== null)('central review decisions flow back to the station', () => {
  let pg: TestPostgres;
  let store: CentralStore;
  let admin: Client;
  beforeAll(async () => {
    pg = await TestPostgres.create();
    store = await CentralStore.open({ connectionString: pg.url });
    admin = await connectAdmin();
  }, 60_000);
  const connectAdmin = async () => {
    const c = new Client(pg.config);
    c.on('error', () => undefined); // the outage test stops the server under it
    await c.connect();
    return c;
  };
  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await store?.close();
    pg?.destroy();
  });

  describe('a real station configured from its Settings API', () => {
    let station: Station;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fleet-decisions-'));
      station = await openStation({ dataDir: dir, mode: 'headless', usb: false, fleetPollMs: 100 });
    });
    afterAll(async () => {
      await station?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies a central decision through the station review path, audited, and reports it back', async () => {
      const configured = await dispatch(station.handlers, 'fleet.configure', {
        config: { stationId: 'line-7', replication: { centralUrl: pg.url }, outputs: null },
        actor: 'admin',
        reason: 'line 7 joins the fleet',
      });
      expect(configured.ok, JSON.stringify(configured)).toBe(true);
      const [flagged] = new InspectionRepository(station.db).insertMany([
        {
          at: new Date().toISOString(),
          source: 'test',
          frameId: 'f-1',
          modelId: 'm1',
          modelVersion: 1,
          rawScore: 5,
          normScore: 0.8,
          verdict: 'FAIL',
          latencyMs: 2,
        },
      ]);
      const central = await until('the inspection to replicate', async () => {
        const r = await store.list({ stationId: 'line-7', verdicts: ['FAIL'] }, undefined, 10);
        return r.rows.find((x) => x.stationInspectionId === flagged);
      });

      const d = await store.decide({
        id: central.id,
        reviewer: 'qa.anna',
        decision: 'defect_confirmed',
        defectType: 'scratch',
        reason: 'deep scratch on the flange',
      });
      expect(d.appliedAt).toBeNull();
      // Decided centrally and not yet applied: a second decision without "change" is refused.
      await expect(
        store.decide({ id: central.id, reviewer: 'qa.ben', decision: 'false_alarm', reason: 'looks fine' }),
      ).rejects.toThrow(/already decided/);

      const local = await until(
        'the station to apply it',
        () =>
          station.db
            .prepare(
              `SELECT id, reviewer, decision, defect_type, reason FROM review_decisions WHERE inspection_id = ?`,
            )
            .get(flagged) as Record<string, unknown> | undefined,
      );
      expect(local).toMatchObject({
        reviewer: 'qa.anna@fleet',
        decision: 'defect_confirmed',
        defect_type: 'scratch',
        reason: 'deep scratch on the flange',
      });
      const audit = station.db
        .prepare(`SELECT actor, action, entity, reason FROM audit_trail WHERE action = 'review.decide'`)
        .all();
      expect(audit).toEqual([
        {
          actor: 'qa.anna@fleet',
          action: 'review.decide',
          entity: `inspection:${flagged}`,
          reason: 'deep scratch on the flange',
        },
      ]);
      // Reported back: applied with the station's review id, and the station's own decision row
      // (and its audit row) replicated to the centre like any other.
      const detail = await until('the outcome and the replicated decision', async () => {
        const g = await store.get(central.id);
        return g.centralDecisions[0]?.appliedAt && g.stationDecisions.length > 0 ? g : null;
      });
      expect(detail.centralDecisions[0]).toMatchObject({ stationReviewId: local.id, applyError: null });
      expect(detail.stationDecisions[0]).toMatchObject({
        reviewer: 'qa.anna@fleet',
        decision: 'defect_confirmed',
      });
      expect(detail.inspection.review?.reviewer).toBe('qa.anna@fleet');
      expect(detail.inspection.pending).toBeNull();

      // A change needs a reason and arrives as the station's "review.change".
      await store.decide({
        id: central.id,
        reviewer: 'qa.ben',
        decision: 'false_alarm',
        reason: 'oil film, wiped off',
        change: { reason: 'second look under light' },
      });
      await until('the change to be applied', () =>
        station.db.prepare(`SELECT 1 FROM audit_trail WHERE action = 'review.change'`).get(),
      );
      const status = await dispatch(station.handlers, 'fleet.status', {});
      expect(
        status.ok &&
          (status.result as { replication: { decisions: { appliedSeq: number } } }).replication.decisions
            .appliedSeq,
      ).toBe(2);
    });
  });

  describe('the pull link on its own', () => {
    let sim: SimStation;
    let settings: SettingsStore;
    let link: DecisionLink;
    const applied: number[] = [];
    beforeAll(async () => {
      sim = await SimStation.create('line-8');
      settings = new SettingsStore(sim.db, sim.audit);
      await sim.inspect(30);
      const r = new Replicator({
        db: sim.db,
        stationId: 'line-8',
        imagesDir: sim.imagesDir,
        central: pg.config,
      });
      await r.drain();
      await r.stop();
    });
    afterAll(async () => {
      await link?.stop();
      sim?.close();
    });
    const makeLink = () =>
      new DecisionLink({
        db: sim.db,
        settings,
        stationId: 'line-8',
        central: pg.config,
        apply: (d) => {
          applied.push(d.seq);
          const { decision } = sim.reviews.record({
            inspectionId: d.inspectionId,
            reviewer: `${d.reviewer}@fleet`,
            decision: d.decision,
            defectType: d.defectType,
            reason: d.reason,
          });
          return { reviewId: decision.id };
        },
      });

    it('keeps a decision pending through an outage and applies it once when the link is back', async () => {
      const queue = await store.list({ stationId: 'line-8', verdicts: ['REVIEW'] }, undefined, 10);
      const [a, b] = queue.rows;
      await store.decide({ id: a.id, reviewer: 'qa.anna', decision: 'defect_confirmed', reason: 'dent' });
      await store.decide({ id: b.id, reviewer: 'qa.anna', decision: 'false_alarm', reason: 'dust' });

      pg.stop();
      link = makeLink();
      await expect(link.pullOnce()).rejects.toThrow();
      expect(applied).toEqual([]);
      expect(sim.db.prepare('SELECT COUNT(*) AS n FROM review_decisions').get()).toEqual({ n: 0 });
      pg.start();
      admin = await connectAdmin();

      expect(await link.pullOnce()).toBe(2);
      expect(await link.pullOnce()).toBe(0);
      // A restarted station (a new link on the same database) applies nothing twice.
      await link.stop();
      link = makeLink();
      expect(await link.pullOnce()).toBe(0);
      expect(applied).toEqual([1, 2]);
      const rows = sim.db.prepare('SELECT inspection_id, reviewer FROM review_decisions ORDER BY id').all();
      expect(rows).toEqual([
        { inspection_id: a.stationInspectionId, reviewer: 'qa.anna@fleet' },
        { inspection_id: b.stationInspectionId, reviewer: 'qa.anna@fleet' },
      ]);
      const outcome = await admin.query(
        `SELECT seq, applied_at IS NOT NULL AS applied, apply_error FROM central_decisions
         WHERE station_id = 'line-8' ORDER BY seq`,
      );
      expect(outcome.rows).toEqual([
        { seq: '1', applied: true, apply_error: null },
        { seq: '2', applied: true, apply_error: null },
      ]);
    }, 60_000);

    it('reports a decision the station refuses, with the reason, and moves on', async () => {
      const queue = await store.list(
        { stationId: 'line-8', verdicts: ['REVIEW'], reviewed: false },
        undefined,
        10,
      );
      const c = queue.rows[0];
      await store.decide({ id: c.id, reviewer: 'qa.ben', decision: 'defect_confirmed', reason: 'crack' });
      const refusing = new DecisionLink({
        db: sim.db,
        settings,
        stationId: 'line-8',
        central: pg.config,
        apply: () => {
          throw new Error(`Inspection ${c.stationInspectionId} was already decided at the station`);
        },
      });
      expect(await refusing.pullOnce()).toBe(1);
      await refusing.stop();
      const g = await store.get(c.id);
      expect(g.centralDecisions[0].applyError).toMatch(/already decided at the station/);
      expect(g.centralDecisions[0].appliedAt).not.toBeNull();
    });
  });
});
