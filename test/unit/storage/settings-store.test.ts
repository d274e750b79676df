import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { DEFAULT_SETTINGS, GIB, SettingsStore } from '../../../src/main/storage/settings-store';

let db: Db;
let audit: AuditTrail;
let settings: SettingsStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  audit = new AuditTrail(db);
  settings = new SettingsStore(db, audit);
});
afterEach(() => db.close());

describe('SettingsStore', () => {
  it('returns the documented defaults on a fresh database', () => {
    expect(settings.get()).toEqual({
      operatorName: 'operator',
      retention: { keepPassEvery: 10, maxStoreBytes: 5 * GIB, minFreeBytes: GIB, minFreePercent: 5 },
      providerOrder: ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'],
    });
    // Callers mutating the result must not alter the defaults.
    settings.get().providerOrder.push('cpu');
    expect(DEFAULT_SETTINGS.providerOrder).toHaveLength(5);
  });

  it('writes one audit row per changed key with old/new JSON, actor and reason', () => {
    const { settings: after, audit: rows } = settings.update(
      { operatorName: 'Dana', retention: { keepPassEvery: 25 }, providerOrder: ['cpu'] },
      'qa.lead',
      'line 3 commissioning',
    );
    expect(after).toEqual({
      operatorName: 'Dana',
      retention: { keepPassEvery: 25, maxStoreBytes: 5 * GIB, minFreeBytes: GIB, minFreePercent: 5 },
      providerOrder: ['cpu'],
    });
    expect(settings.get()).toEqual(after);
    expect(rows.map((r) => [r.entity, r.oldValue, r.newValue])).toEqual([
      ['settings.operatorName', '"operator"', '"Dana"'],
      ['settings.retention.keepPassEvery', '10', '25'],
      ['settings.providerOrder', '["cuda","dml","coreml","webgpu","cpu"]', '["cpu"]'],
    ]);
    for (const r of rows)
      expect(r).toMatchObject({
        actor: 'qa.lead',
        reason: 'line 3 commissioning',
        action: 'settings.update',
      });
    expect(audit.list().total).toBe(3);
    expect(audit.verify().ok).toBe(true);
  });

  it('writes nothing and audits nothing for a patch that changes nothing', () => {
    const r = settings.update({ operatorName: 'operator', retention: { keepPassEvery: 10 } }, 'a', 'no-op');
    expect(r.audit).toEqual([]);
    expect(audit.list().total).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM settings').get()).toEqual({ n: 0 });
  });

  it('records the previous non-default value as old value on a second change', () => {
    settings.update({ retention: { maxStoreBytes: 2 * GIB } }, 'a', 'first');
    const { audit: rows } = settings.update({ retention: { maxStoreBytes: 3 * GIB } }, 'b', 'second');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ oldValue: String(2 * GIB), newValue: String(3 * GIB), actor: 'b' });
  });

  it('rejects invalid patches before writing anything', () => {
    expect(() => settings.update({ retention: { keepPassEvery: 0 } }, 'a', 'bad')).toThrow();
    expect(() => settings.update({ providerOrder: ['tpu' as never] }, 'a', 'bad')).toThrow();
    expect(settings.get()).toEqual(DEFAULT_SETTINGS);
    expect(audit.list().total).toBe(0);
  });

  it('rolls the setting back when its audit row cannot be written', () => {
    expect(() => settings.update({ operatorName: 'Eve' }, ' ', 'no actor')).toThrow(/actor/);
    expect(settings.get().operatorName).toBe('operator');
    expect(db.prepare('SELECT COUNT(*) AS n FROM settings').get()).toEqual({ n: 0 });
  });

  it('keeps internal keys out of the Settings DTO and audits them without their value', () => {
    settings.setInternal('accessTokenHash', 'abc123', { actor: 'admin', reason: 'rotate token' });
    expect(settings.getInternal('accessTokenHash')).toBe('abc123');
    expect(settings.getInternal('missing')).toBeUndefined();
    expect(Object.keys(settings.get()).sort()).toEqual(['operatorName', 'providerOrder', 'retention']);
    const row = audit.list().rows[0];
    expect(row).toMatchObject({
      action: 'internal.set',
      entity: 'settings.internal.accessTokenHash',
      oldValue: null,
      newValue: null,
    });
    expect(JSON.stringify(audit.list())).not.toContain('abc123');
    settings.setInternal('accessTokenHash', undefined);
    expect(settings.getInternal('accessTokenHash')).toBeUndefined();
    expect(() => settings.setInternal('../x', 1)).toThrow(/Invalid internal/);
  });

  it('falls back to defaults for stored values of the wrong shape', () => {
    db.prepare(
      `INSERT INTO settings (key, value_json) VALUES ('providerOrder', '["tpu"]'), ('retention.keepPassEvery', '-3')`,
    ).run();
    expect(settings.get().providerOrder).toEqual(DEFAULT_SETTINGS.providerOrder);
    expect(settings.get().retention.keepPassEvery).toBe(10);
  });
});
