import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { GENESIS_HASH, auditRowHash } from '../../../src/main/storage/audit-hash';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let db: Db;
let audit: AuditTrail;
let clock: number;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'station.db');
  db = openDatabase(file);
  clock = Date.UTC(2025, 5, 1);
  audit = new AuditTrail(db, () => new Date((clock += 1000)));
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

function appendN(n: number): void {
  for (let i = 1; i <= n; i++) {
    audit.append({
      actor: `user${i % 3}`,
      action: 'settings.update',
      entity: `settings.key${i}`,
      oldValue: JSON.stringify(i - 1),
      newValue: JSON.stringify(i),
      reason: `change ${i}`,
    });
  }
}

/** A second connection, as an attacker with file access would have, with the guards removed. */
const GUARDS = [
  'audit_trail_no_update',
  'audit_trail_no_delete',
  'audit_trail_append_only',
  'audit_head_follows_chain',
];

function tamper(sql: (raw: Database.Database) => void, drop: string[] = GUARDS): void {
  const raw = new Database(file);
  for (const t of drop) raw.exec(`DROP TRIGGER IF EXISTS ${t}`);
  sql(raw);
  raw.close();
}

describe('AuditTrail.append', () => {
  it('chains rows from the genesis hash with a recomputable hash', () => {
    appendN(3);
    const rows = audit.list().rows.reverse();
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(rows[0].prevHash).toBe(GENESIS_HASH);
    expect(rows[1].prevHash).toBe(rows[0].hash);
    expect(rows[2].prevHash).toBe(rows[1].hash);
    for (const r of rows) expect(r.hash).toBe(auditRowHash(r));
    expect(rows[0]).toMatchObject({ actor: 'user1', oldValue: '0', newValue: '1', reason: 'change 1' });
    expect(rows[0].at).toBe(new Date(Date.UTC(2025, 5, 1) + 1000).toISOString());
    expect(audit.verify()).toMatchObject({ ok: true, checkedRows: 3, firstBadId: null, problem: null });
  });

  it('hash covers every field (changing any one changes the hash)', () => {
    const base = {
      id: 1,
      at: 'a',
      actor: 'b',
      action: 'c',
      entity: 'd',
      oldValue: null,
      newValue: 'e',
      reason: 'f',
      prevHash: GENESIS_HASH,
    };
    const h = auditRowHash(base);
    const variants = [
      { id: 2 },
      { at: 'x' },
      { actor: 'x' },
      { action: 'x' },
      { entity: 'x' },
      { oldValue: 'null' },
      { newValue: null },
      { reason: null },
      { prevHash: '1'.repeat(64) },
    ];
    for (const v of variants) expect(auditRowHash({ ...base, ...v })).not.toBe(h);
  });

  it('is atomic with the caller: a rolled-back transaction leaves no row and the head unchanged', () => {
    appendN(1);
    expect(() =>
      db.transaction(() => {
        audit.append({ actor: 'x', action: 'y', entity: 'z' });
        throw new Error('caller failed');
      })(),
    ).toThrow('caller failed');
    expect(audit.list().total).toBe(1);
    appendN(1);
    expect(audit.verify().ok).toBe(true);
  });

  it('refuses an entry without an actor', () => {
    expect(() => audit.append({ actor: '  ', action: 'a', entity: 'e' })).toThrow(/actor/);
  });
});

describe('database guards', () => {
  it('abort UPDATE and DELETE on audit_trail and forged INSERTs', () => {
    appendN(2);
    expect(() => db.prepare(`UPDATE audit_trail SET actor = 'mallory' WHERE id = 1`).run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM audit_trail WHERE id = 2').run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO audit_trail (id, at, actor, action, entity, prev_hash, hash) VALUES (9, 'x', 'm', 'a', 'e', ?, 'h')`,
        )
        .run(GENESIS_HASH),
    ).toThrow(/chain head/);
    expect(() => db.prepare('UPDATE audit_head SET last_id = 1').run()).toThrow(/audit_head/);
    expect(() => db.prepare('DELETE FROM audit_head').run()).toThrow(/audit_head/);
    expect(audit.verify()).toMatchObject({ ok: true, checkedRows: 2 });
  });
});

describe('AuditTrail.list', () => {
  it('pages newest first by keyset with a total', () => {
    appendN(7);
    const p1 = audit.list({ limit: 3 });
    expect(p1.rows.map((r) => r.id)).toEqual([7, 6, 5]);
    expect(p1.total).toBe(7);
    expect(p1.nextBeforeId).toBe(5);
    const p2 = audit.list({ beforeId: p1.nextBeforeId!, limit: 3 });
    expect(p2.rows.map((r) => r.id)).toEqual([4, 3, 2]);
    const p3 = audit.list({ beforeId: p2.nextBeforeId!, limit: 3 });
    expect(p3.rows.map((r) => r.id)).toEqual([1]);
    expect(p3.nextBeforeId).toBeNull();
    expect(audit.list({ limit: 7 }).nextBeforeId).toBeNull();
    const empty = openDatabase(':memory:');
    expect(new AuditTrail(empty).list()).toEqual({ rows: [], nextBeforeId: null, total: 0 });
    expect(new AuditTrail(empty).verify()).toMatchObject({ ok: true, checkedRows: 0 });
    empty.close();
  });
});

describe('AuditTrail.verify detects tampering', () => {
  beforeEach(() => appendN(6));

  it('an edited row', () => {
    tamper((raw) => raw.prepare(`UPDATE audit_trail SET new_value = '999' WHERE id = 3`).run());
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 3, checkedRows: 2 });
    expect(audit.verify().problem).toMatch(/edited/);
  });

  it('an edited row whose hash was recomputed (breaks the next link)', () => {
    const r3 = audit.list({ beforeId: 4, limit: 1 }).rows[0];
    const forged = { ...r3, reason: 'covered up' };
    tamper((raw) =>
      raw
        .prepare('UPDATE audit_trail SET reason = ?, hash = ? WHERE id = 3')
        .run(forged.reason, auditRowHash(forged)),
    );
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 4 });
    expect(v.problem).toMatch(/link/);
  });

  it('a forged row inserted in the middle (id gap)', () => {
    tamper((raw) =>
      raw
        .prepare(
          `INSERT INTO audit_trail (id, at, actor, action, entity, prev_hash, hash) VALUES (100, 'x', 'm', 'a', 'e', ?, 'h')`,
        )
        .run(GENESIS_HASH),
    );
    // Renumber so the forged row sits between 3 and 4 in id order.
    tamper((raw) => {
      raw.exec(`CREATE TEMP TABLE t AS SELECT * FROM audit_trail WHERE id >= 4 AND id < 100;
        DELETE FROM audit_trail WHERE id >= 4 AND id < 100;
        UPDATE audit_trail SET id = 4 WHERE id = 100;
        INSERT INTO audit_trail SELECT id + 1, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash FROM t;`);
    });
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 4 });
  });

  it('a well-formed forged row appended after the head', () => {
    const last = audit.list({ limit: 1 }).rows[0];
    const forged = {
      id: 7,
      at: new Date().toISOString(),
      actor: 'mallory',
      action: 'model.deploy',
      entity: 'model:x',
      oldValue: null,
      newValue: null,
      reason: null,
      prevHash: last.hash,
    };
    tamper((raw) =>
      raw
        .prepare(
          `INSERT INTO audit_trail (id, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          forged.id,
          forged.at,
          forged.actor,
          forged.action,
          forged.entity,
          null,
          null,
          null,
          forged.prevHash,
          auditRowHash(forged),
        ),
    );
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 7, checkedRows: 7 });
    expect(v.problem).toMatch(/outside the station/);
  });

  it('a deleted middle row', () => {
    tamper((raw) => raw.prepare('DELETE FROM audit_trail WHERE id = 4').run());
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 4, checkedRows: 3 });
    expect(v.problem).toMatch(/missing/);
  });

  it('a deleted middle row with the rest renumbered and re-hashed is still caught by the head', () => {
    // Worst case without the head table: the attacker rewrites the chain after the deletion.
    tamper((raw) => {
      raw.prepare('DELETE FROM audit_trail WHERE id = 4').run();
      const rows = raw.prepare('SELECT * FROM audit_trail WHERE id > 4 ORDER BY id').all() as Array<
        Record<string, unknown>
      >;
      let prev = (raw.prepare('SELECT hash FROM audit_trail WHERE id = 3').get() as { hash: string }).hash;
      for (const r of rows) {
        const moved = {
          id: (r.id as number) - 1,
          at: r.at as string,
          actor: r.actor as string,
          action: r.action as string,
          entity: r.entity as string,
          oldValue: r.old_value as string | null,
          newValue: r.new_value as string | null,
          reason: r.reason as string | null,
          prevHash: prev,
        };
        const hash = auditRowHash(moved);
        raw.prepare('DELETE FROM audit_trail WHERE id = ?').run(r.id);
        raw
          .prepare(
            `INSERT INTO audit_trail (id, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            moved.id,
            moved.at,
            moved.actor,
            moved.action,
            moved.entity,
            moved.oldValue,
            moved.newValue,
            moved.reason,
            prev,
            hash,
          );
        prev = hash;
      }
    });
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 6, checkedRows: 5 });
    expect(v.problem).toMatch(/deleted tail/);
  });

  it('a deleted tail', () => {
    tamper((raw) => raw.prepare('DELETE FROM audit_trail WHERE id >= 5').run());
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 5, checkedRows: 4 });
    expect(v.problem).toMatch(/Rows 5\.\.6 are missing/);
  });

  it('a deleted tail even when later rows are appended on top of it', () => {
    tamper((raw) => raw.prepare('DELETE FROM audit_trail WHERE id = 6').run(), ['audit_trail_no_delete']);
    // The station keeps numbering from its head, so the hole stays visible after new appends.
    const next = audit.append({ actor: 'a', action: 'b', entity: 'c' });
    expect(next.id).toBe(7);
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadId: 6, checkedRows: 5 });
    expect(v.problem).toMatch(/missing/);
  });
});
