// The station's fleet services configured through its settings table, against a real
// PostgreSQL and a real mosquitto: what a station with both configured actually does.
import mqtt from 'mqtt';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_OUTPUTS_KEY, FLEET_REPLICATION_KEY, startStationFleet } from '../../../src/main/fleet';
import { SettingsStore } from '../../../src/main/storage';
import { MOSQUITTO_MISSING, PG_MISSING, TestMosquitto, TestPostgres } from './servers';
import { SimStation } from './station-fixture';

const missing = PG_MISSING ?? MOSQUITTO_MISSING;
if (missing) console.warn(`Skipping station fleet test: ${missing}`);

describe.skipIf(missing !== null)('station fleet services from settings', () => {
  let pg: TestPostgres;
  let broker: TestMosquitto;
  let sim: SimStation;
  beforeAll(async () => {
    [pg, broker] = await Promise.all([TestPostgres.create(), TestMosquitto.create()]);
    sim = await SimStation.create('line-9');
  });
  afterAll(() => {
    sim?.close();
    pg?.destroy();
    broker?.destroy();
  });

  it('replicates and publishes what the settings name; a bad saved config is reported, not fatal', async () => {
    const settings = new SettingsStore(sim.db, sim.audit);
    settings.setInternal(
      FLEET_REPLICATION_KEY,
      { centralUrl: pg.url, stationId: 'line-9' },
      { actor: 'admin', reason: 'join fleet' },
    );
    settings.setInternal(FLEET_OUTPUTS_KEY, {
      stationId: 'line-9',
      product: 'hinge',
      mqtt: { url: broker.url },
    });
    const sub = await mqtt.connectAsync(broker.url);
    const got: string[] = [];
    sub.on('message', (_t, p) => got.push(p.toString()));
    await sub.subscribeAsync('station/line-9/verdict', { qos: 1 });

    const fleet = startStationFleet({ db: sim.db, settings, imagesDir: sim.imagesDir });
    expect(fleet.state().configErrors).toEqual([]);
    await sim.inspect(20);
    fleet.onResult({
      at: '2026-01-01T00:00:00.000Z',
      source: 's',
      frameId: 'f-1',
      modelId: 'm',
      modelVersion: 1,
      rawScore: 2,
      normScore: 0.91,
      verdict: 'FAIL',
      latencyMs: 1,
    });
    const admin = new Client(pg.config);
    await admin.connect();
    const end = Date.now() + 20_000;
    let n = 0;
    while (Date.now() < end && (n < 20 || got.length < 1)) {
      await new Promise((r) => setTimeout(r, 50));
      const r = await admin
        .query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM inspections WHERE station_id = 'line-9'`)
        .catch(() => null); // the station creates the schema on its first connection
      n = r?.rows[0]?.n ?? 0;
    }
    expect(n).toBe(20);
    // The settings change itself was audited and replicated with the rest.
    expect((await admin.query(`SELECT action FROM audit_trail WHERE station_id = 'line-9'`)).rows).toEqual([
      { action: 'internal.set' },
    ]);
    expect(got.map((g) => JSON.parse(g))).toEqual([
      {
        station: 'line-9',
        product: 'hinge',
        partId: 'f-1',
        verdict: 'FAIL',
        score: 0.91,
        at: '2026-01-01T00:00:00.000Z',
      },
    ]);
    await fleet.close();
    await admin.end();
    await sub.endAsync();

    settings.setInternal(FLEET_OUTPUTS_KEY, { stationId: 'no/slash' });
    const broken = startStationFleet({ db: sim.db, settings, imagesDir: sim.imagesDir });
    expect(broken.state().configErrors.join()).toMatch(/fleet.outputs: station id/);
    expect(broken.state().outputs).toBeNull();
    await broken.close();
  });

  it("publishes each part on its product's route", async () => {
    const settings = new SettingsStore(sim.db, sim.audit);
    settings.setInternal(FLEET_REPLICATION_KEY, undefined);
    settings.setInternal(FLEET_OUTPUTS_KEY, {
      stationId: 'line-9',
      mqtt: { url: broker.url },
      products: { 'bracket-a': { topic: 'plant/brackets' }, 'hinge-b': { publish: false } },
    });
    const sub = await mqtt.connectAsync(broker.url);
    const got: Array<[string, string]> = [];
    sub.on('message', (t, p) => got.push([t, JSON.parse(p.toString()).partId]));
    await sub.subscribeAsync(['station/line-9/verdict', 'plant/#'], { qos: 1 });
    const fleet = startStationFleet({ db: sim.db, settings, imagesDir: sim.imagesDir });
    const part = (frameId: string, productId: string | null) => ({
      at: '2026-01-01T00:00:00.000Z',
      source: 's',
      frameId,
      modelId: 'm',
      modelVersion: 1,
      rawScore: 2,
      normScore: 0.5,
      verdict: 'REVIEW' as const,
      latencyMs: 1,
      productId,
    });
    fleet.onResult(part('a-1', 'bracket-a'));
    fleet.onResult(part('b-1', 'hinge-b'));
    fleet.onResult(part('c-1', null));
    const end = Date.now() + 10_000;
    while (Date.now() < end && (fleet.state().outputs?.published ?? 0) < 2) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([
      ['plant/brackets', 'a-1'],
      ['station/line-9/verdict', 'c-1'],
    ]);
    await fleet.close();
    await sub.endAsync();
  });
});
