import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_VERSION,
  SchemaTooNewError,
  openDatabase,
  schemaVersion,
} from '../../../src/main/storage/database';
import { MIGRATIONS, type Migration } from '../../../src/main/storage/migrations';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { InspectionRepository } from '../../../src/main/storage/inspections';
import { inspection, tempDir } from './helpers';
import { join } from 'node:path';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'station.db');
});
afterEach(() => tmp.cleanup());

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
}

describe('openDatabase', () => {
  it('creates the full schema on an empty file with the expected pragmas', () => {
    const db = openDatabase(file);
    try {
      expect(CURRENT_SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(schemaVersion(db)).toBe(CURRENT_SCHEMA_VERSION);
      expect(db.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as Array<{ name: string }>
      )
        .map((t) => t.name)
        .sort();
      for (const t of [
        'audit_head',
        'audit_trail',
        'inspections',
        'models',
        'products',
        'product_deployments',
        'review_decisions',
        'runs',
        'schema_migrations',
        'settings',
      ]) {
        expect(tables).toContain(t);
      }
      const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      expect(() =>
        db
          .prepare(
            `INSERT INTO inspections (at, source, model_id, model_version, raw_score, norm_score, verdict, latency_ms)
          VALUES ('x', 's', 'm', 1, 0, 0, 'MAYBE', 1)`,
          )
          .run(),
      ).toThrow(/CHECK constraint/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO review_decisions (inspection_id, decided_at, reviewer, decision) VALUES (999, 'x', 'r', 'false_alarm')`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });

  it('is idempotent: reopening applies nothing twice', () => {
    openDatabase(file).close();
    const db = openDatabase(file);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(
      MIGRATIONS.length,
    );
    db.close();
  });

  it('migrates a v1 database with data to the current version without losing rows', () => {
    const v1 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
    expect(schemaVersion(v1)).toBe(1);
    expect(columns(v1, 'inspections')).not.toContain('shift');
    // v1 code writes through the repository's v1-compatible columns only.
    v1.prepare(
      `INSERT INTO inspections (at, source, frame_id, model_id, model_version, raw_score, norm_score, verdict,
      latency_ms, image_ref) VALUES (?, 'cam', 'f1', 'm1', 3, 1.5, 0.7, 'FAIL', 9.5, 'ab/x')`,
    ).run('2025-01-01T00:00:00.000Z');
    const audit1 = new AuditTrail(v1);
    audit1.append({
      actor: 'alice',
      action: 'settings.update',
      entity: 'settings.operatorName',
      newValue: '"alice"',
      reason: 'shift',
    });
    audit1.append({ actor: 'bob', action: 'model.deploy', entity: 'model:m1' });
    v1.prepare(`INSERT INTO settings (key, value_json) VALUES ('operatorName', '"alice"')`).run();
    v1.close();

    const v2 = openDatabase(file);
    try {
      expect(schemaVersion(v2)).toBe(CURRENT_SCHEMA_VERSION);
      expect(columns(v2, 'inspections')).toEqual(expect.arrayContaining(['shift', 'evicted_at']));
      const repo = new InspectionRepository(v2);
      const row = repo.get(1)!;
      expect(row).toMatchObject({
        verdict: 'FAIL',
        modelVersion: 3,
        normScore: 0.7,
        imageRef: 'ab/x',
        shift: null,
      });
      const audit = new AuditTrail(v2);
      expect(audit.verify()).toMatchObject({ ok: true, checkedRows: 2 });
      expect(audit.list().rows.map((r) => r.actor)).toEqual(['bob', 'alice']);
      expect(v2.prepare(`SELECT value_json FROM settings WHERE key='operatorName'`).get()).toEqual({
        value_json: '"alice"',
      });
      // Rows written after the upgrade use the new column.
      const id = repo.insert(inspection(5, { shift: 'night' }));
      expect(repo.get(id)!.shift).toBe('night');
    } finally {
      v2.close();
    }
  });

  it('refuses a database written by a newer release, without touching it', () => {
    openDatabase(file).close();
    const older = MIGRATIONS.slice(0, 1);
    expect(() => openDatabase(file, { migrations: older })).toThrow(SchemaTooNewError);
    try {
      openDatabase(file, { migrations: older });
    } catch (err) {
      expect((err as Error).message).toContain(`schema version ${CURRENT_SCHEMA_VERSION}`);
      expect((err as Error).message).toContain(file);
    }
    const raw = new Database(file, { readonly: true });
    expect(schemaVersion(raw)).toBe(CURRENT_SCHEMA_VERSION);
    raw.close();
  });

  it('rolls a failing migration back and keeps the previous version', () => {
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      name: 'broken',
      up(db) {
        db.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('boom');
      },
    };
    expect(() => openDatabase(file, { migrations: [...MIGRATIONS, broken] })).toThrow('boom');
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(CURRENT_SCHEMA_VERSION);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).get()).toBeUndefined();
    db.close();
  });

  it('rejects a malformed migration list', () => {
    expect(() => openDatabase(file, { migrations: [MIGRATIONS[1]] })).toThrow(/malformed/);
  });
});
