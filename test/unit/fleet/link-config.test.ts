// The Settings form's view of the fleet link: secrets never go back to the browser, a masked
// secret sent back keeps the stored one, and the serve command validates --fleet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/main/fleet/central-store';
import { readLinkConfig, SECRET_MASK, unmask, writeLinkConfig } from '../../../src/main/fleet/link-config';
import { parseServeArgs } from '../../../src/main/server/serve-args';
import { AuditTrail, openDatabase } from '../../../src/main/storage';
import { SettingsStore } from '../../../src/main/storage/settings-store';

const dirs: string[] = [];
function store(): { settings: SettingsStore; audit: AuditTrail } {
  const dir = mkdtempSync(join(tmpdir(), 'link-config-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'station.db'));
  const audit = new AuditTrail(db);
  return { settings: new SettingsStore(db, audit), audit };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fleet link configuration', () => {
  it('masks passwords for the browser and restores them from what is stored', () => {
    const { settings, audit } = store();
    writeLinkConfig(
      settings,
      {
        stationId: 'line-3',
        replication: { centralUrl: 'postgres://stations:s3cret@db:5432/inspection' },
        outputs: {
          product: 'bracket-a',
          mqtt: { url: 'mqtt://broker:1883', username: 'u', password: 'p4ss' },
          webhook: null,
          products: {},
        },
      },
      { actor: 'admin', reason: 'join' },
    );
    const shown = readLinkConfig(settings, { mask: true });
    expect(shown?.replication?.centralUrl).toBe(`postgres://stations:${SECRET_MASK}@db:5432/inspection`);
    expect(shown?.outputs?.mqtt?.password).toBe(SECRET_MASK);
    expect(JSON.stringify(shown)).not.toMatch(/s3cret|p4ss/);
    const back = unmask(shown!, readLinkConfig(settings, { mask: false }));
    expect(back.replication?.centralUrl).toBe('postgres://stations:s3cret@db:5432/inspection');
    expect(back.outputs?.mqtt?.password).toBe('p4ss');
    // Audited by key with who and why, never the value.
    const rows = audit.list({ limit: 10 }).rows;
    expect(rows.map((r) => [r.action, r.entity, r.reason])).toEqual(
      expect.arrayContaining([
        ['internal.set', 'settings.internal.fleet.replication', 'join'],
        ['internal.set', 'settings.internal.fleet.outputs', 'join'],
      ]),
    );
    expect(JSON.stringify(rows)).not.toMatch(/s3cret|p4ss/);
  });

  it('refuses a masked password when nothing is stored, and removes parts set to null', () => {
    const { settings } = store();
    expect(() =>
      unmask(
        { stationId: 'l', replication: { centralUrl: `postgres://a:${SECRET_MASK}@h/d` }, outputs: null },
        null,
      ),
    ).toThrow(/type the password again/);
    writeLinkConfig(
      settings,
      { stationId: 'l', replication: { centralUrl: 'postgres://h/d' }, outputs: null },
      { actor: 'a', reason: 'r' },
    );
    writeLinkConfig(
      settings,
      { stationId: 'l', replication: null, outputs: null },
      { actor: 'a', reason: 'r' },
    );
    expect(readLinkConfig(settings, { mask: false })).toBeNull();
  });

  it('keeps per-product routes, stores outputs that only a product webhook receives, and says why a route is refused', () => {
    const { settings } = store();
    const products = {
      'bracket-a': { publish: true, topic: 'plant/brackets' },
      'hinge-b': { publish: false },
      'plate-c': { publish: true, webhookUrl: null },
    };
    writeLinkConfig(
      settings,
      {
        stationId: 'line-3',
        replication: null,
        outputs: { mqtt: { url: 'mqtt://broker:1883' }, webhook: null, products },
      },
      { actor: 'admin', reason: 'routes per product' },
    );
    expect(readLinkConfig(settings, { mask: true })?.outputs?.products).toEqual(products);
    expect(settings.getInternal('fleet.outputs')).toMatchObject({ products });

    // No broker and no station webhook: a product's own webhook is still a target.
    writeLinkConfig(
      settings,
      {
        stationId: 'line-3',
        replication: null,
        outputs: {
          mqtt: null,
          webhook: null,
          products: { 'plate-c': { publish: true, webhookUrl: 'https://qa/c' } },
        },
      },
      { actor: 'admin', reason: 'plate c to QA only' },
    );
    expect(readLinkConfig(settings, { mask: false })?.outputs?.products).toEqual({
      'plate-c': { publish: true, webhookUrl: 'https://qa/c' },
    });

    expect(() =>
      writeLinkConfig(
        settings,
        {
          stationId: 'line-3',
          replication: null,
          outputs: {
            mqtt: null,
            webhook: { url: 'https://mes' },
            products: { a: { publish: true, topic: 'plant/a' } },
          },
        },
        { actor: 'admin', reason: 'x' },
      ),
    ).toThrow(/product a: an MQTT topic needs the station's MQTT broker/);
    // The refused change left the stored one as it was.
    expect(readLinkConfig(settings, { mask: false })?.outputs?.products).toEqual({
      'plate-c': { publish: true, webhookUrl: 'https://qa/c' },
    });
  });

  it('redacts URLs and validates serve --fleet', () => {
    expect(redactUrl('postgres://u:pw@h:5432/d')).toBe('postgres://u:•••@h:5432/d');
    expect(redactUrl('postgres://h/d')).toBe('postgres://h/d');
    expect(parseServeArgs(['--fleet', 'postgres://h/d'], {}).fleet).toBe('postgres://h/d');
    expect(parseServeArgs([], {}).fleet).toBeNull();
    expect(() => parseServeArgs(['--fleet', 'mysql://u:pw@h/d'], {})).toThrow(/postgres:\/\/ URL.*u:•••@/);
  });
});
