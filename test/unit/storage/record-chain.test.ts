// Tamper evidence of the station's records. Each attack is done as someone with write access to
// station.db and the hashing code would do it (guards dropped, hashes recomputed where that helps
// the attacker), with the station stopped; verification must name the damage. On the code before
// sealed batches and signed checkpoints every one of these verified ok.
import Database from 'better-sqlite3';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { auditRowHash, GENESIS_HASH } from '../../../src/main/storage/audit-hash';
import { InspectionRepository } from '../../../src/main/storage/inspections';
import {
  attachSigningKey,
  exportCheckpoint,
  loadOrCreateSigningKey,
  readSigningKey,
  SIGNING_KEY_FILE,
  type CheckpointExport,
} from '../../../src/main/storage/checkpoints';
import { verifyStationChain } from '../../../src/main/storage/chain-verify';
import { batchHash, inspectionLeaf, merkleRoot, SEALED_COLUMNS } from '../../../src/main/storage/record-hash';
import type { SealedInspection } from '../../../src/main/storage/record-hash';
import { inspection, tempDir } from './helpers';
import { statSync } from 'node:fs';
import { MIGRATIONS } from '../../../src/main/storage/migrations';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let clock: number;
const ROWS = 400;
const BATCH = 50;

/**
 * A station's life: 400 inspections in batches of 50, nine audited changes in between. The first
 * half is written as before products existed (no product, run or file name: the v1 leaf form),
 * the second half with them (v2), so both forms live in one chain.
 */
function runStation(): void {
  const db = openDatabase(file);
  const now = () => new Date((clock += 20_000));
  attachSigningKey(db, loadOrCreateSigningKey(tmp.dir), now);
  const audit = new AuditTrail(db, now);
  const repo = new InspectionRepository(db);
  for (let b = 0; b < ROWS / BATCH; b++) {
    repo.insertMany(
      Array.from({ length: BATCH }, (_, i) => {
        const n = b * BATCH + i;
        return n < ROWS / 2
          ? inspection(n)
          : inspection(n, { productId: 'plate-a', runId: 3 + (n % 2), sourceRef: `part_${n}.png` });
      }),
    );
    audit.append({ actor: 'qa', action: 'settings.update', entity: `k${b}`, reason: 'shift' });
  }
  audit.append({ actor: 'qa', action: 'station.stop', entity: 'station' });
  db.close();
}

function verify(external?: CheckpointExport) {
  const db = new Database(file, { readonly: true });
  try {
    return verifyStationChain(db, {
      publicKey: readSigningKey(join(tmp.dir, SIGNING_KEY_FILE)).publicKey,
      external,
    });
  } finally {
    db.close();
  }
}

/** The attacker's connection: every guard trigger removed. */
function attack(fn: (db: Db) => void): void {
  const db = new Database(file);
  for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all() as Array<{
    name: string;
  }>) {
    db.exec(`DROP TRIGGER "${name}"`);
  }
  fn(db);
  db.close();
}

interface AuditDbRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
}
interface BatchDbRow {
  seq: number;
  at: string;
  first_id: number;
  last_id: number;
  rows_from: string | null;
  rows_to: string | null;
}

/** Recomputes every audit hash from `fromId` on and moves the head, as a careful attacker would. */
function rehashAudit(db: Db, fromId: number): void {
  const rows = db.prepare('SELECT * FROM audit_trail WHERE id >= ? ORDER BY id').all(fromId) as AuditDbRow[];
  let prev =
    (db.prepare('SELECT hash FROM audit_trail WHERE id = ?').get(fromId - 1) as { hash: string } | undefined)
      ?.hash ?? GENESIS_HASH;
  const upd = db.prepare('UPDATE audit_trail SET prev_hash = ?, hash = ? WHERE id = ?');
  for (const r of rows) {
    const hash = auditRowHash({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      entity: r.entity,
      oldValue: r.old_value,
      newValue: r.new_value,
      reason: r.reason,
      prevHash: prev,
    });
    upd.run(prev, hash, r.id);
    prev = hash;
  }
  const last = rows.at(-1);
  db.prepare('UPDATE audit_head SET last_id = ?, last_hash = ?').run(last?.id ?? fromId - 1, prev);
}

/** Re-seals every batch from the current rows (leaves, roots, chain, head). */
function resealRecords(db: Db): void {
  const batches = db.prepare('SELECT * FROM record_batches ORDER BY seq').all() as BatchDbRow[];
  let prev = GENESIS_HASH;
  for (const b of batches) {
    const rows = db
      .prepare(`SELECT ${SEALED_COLUMNS} FROM inspections WHERE id BETWEEN ? AND ? ORDER BY id`)
      .all(b.first_id, b.last_id) as SealedInspection[];
    const leaves = rows.map(inspectionLeaf);
    const root = merkleRoot(leaves);
    const hash = batchHash({
      seq: b.seq,
      at: b.at,
      firstId: b.first_id,
      lastId: b.last_id,
      rowCount: rows.length,
      rowsFrom: b.rows_from,
      rowsTo: b.rows_to,
      merkleRoot: root,
      prevHash: prev,
    });
    db.prepare(
      'UPDATE record_batches SET row_count = ?, leaves = ?, merkle_root = ?, prev_hash = ?, hash = ? WHERE seq = ?',
    ).run(rows.length, Buffer.concat(leaves), root, prev, hash, b.seq);
    prev = hash;
  }
  db.prepare('UPDATE record_head SET last_hash = ?').run(prev);
}

beforeEach(() => {
  tmp = tempDir('station-chain-');
  file = join(tmp.dir, 'station.db');
  clock = Date.UTC(2026, 0, 5, 6);
  runStation();
});
afterEach(() => tmp.cleanup());

describe('sealed inspections and signed checkpoints', () => {
  it('an untouched station verifies, with every inspection checked', () => {
    expect(verify()).toMatchObject({
      ok: true,
      checkedInspections: ROWS,
      checkedRows: ROWS / BATCH + 1,
      problem: null,
    });
    expect(statSync(join(tmp.dir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('reads one snapshot: a batch committed by the running line while it verifies is no damage', () => {
    const writer = openDatabase(file);
    attachSigningKey(writer, loadOrCreateSigningKey(tmp.dir), () => new Date((clock += 20_000)));
    const repo = new InspectionRepository(writer);
    const reader = new Database(file, { readonly: true });
    let wrote = 0;
    // The line commits a batch (and signs a new checkpoint) right after the verifier read the
    // chains and before it reads the latest checkpoint.
    const realPrepare = reader.prepare.bind(reader);
    reader.prepare = ((sql: string) => {
      if (sql.includes('checkpoint_latest') && wrote === 0) {
        wrote += 1;
        repo.insertMany(Array.from({ length: BATCH }, (_, i) => inspection(ROWS + i)));
      }
      return realPrepare(sql);
    }) as typeof reader.prepare;
    try {
      const result = verifyStationChain(reader, {
        publicKey: readSigningKey(join(tmp.dir, SIGNING_KEY_FILE)).publicKey,
      });
      expect(wrote).toBe(1);
      expect(result).toMatchObject({ ok: true, checkedInspections: ROWS, problem: null });
    } finally {
      reader.close();
      writer.close();
    }
    expect(verify()).toMatchObject({ ok: true, checkedInspections: ROWS + BATCH });
  });

  it('detects a verdict changed from FAIL to PASS', () => {
    // inspection(i) is FAIL for i % 5 === 4, and ids start at 1: id 245 is row 244.
    attack((db) =>
      db.prepare(`UPDATE inspections SET verdict = 'PASS' WHERE id = 245 AND verdict = 'FAIL'`).run(),
    );
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'inspections', damage: 'edited', firstBadId: 245 });
    expect(v.problem).toMatch(/Inspection 245/);
    expect(v.window?.from).toBeTruthy();
  });

  it('detects a verdict change even when the attacker re-seals every batch', () => {
    attack((db) => {
      db.prepare(`UPDATE inspections SET verdict = 'PASS' WHERE id = 245`).run();
      resealRecords(db);
    });
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'inspections', damage: 'rewritten' });
    // History checkpoints are at most a minute apart, so the rewritten range is small and contains 245.
    expect(v.firstBadId).toBeLessThanOrEqual(245);
    expect(v.firstBadId).toBeGreaterThan(150);
  });

  it('detects a product id changed on a sealed row', () => {
    attack((db) => db.prepare(`UPDATE inspections SET product_id = 'bottle' WHERE id = 301`).run());
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'inspections', damage: 'edited', firstBadId: 301 });
    expect(v.problem).toMatch(/product, run, source file/);
  });

  it('detects a run id or a source file name changed on a sealed row', () => {
    attack((db) => db.prepare('UPDATE inspections SET run_id = 99 WHERE id = 350').run());
    expect(verify()).toMatchObject({ ok: false, damage: 'edited', firstBadId: 350 });
  });

  it('detects a source file name changed on a sealed row', () => {
    attack((db) => db.prepare(`UPDATE inspections SET source_ref = 'other.png' WHERE id = 399`).run());
    expect(verify()).toMatchObject({ ok: false, damage: 'edited', firstBadId: 399 });
  });

  it('detects traceability cleared (back to the old form) or added to a row sealed without it', () => {
    attack((db) =>
      db
        .prepare('UPDATE inspections SET product_id = NULL, run_id = NULL, source_ref = NULL WHERE id = 260')
        .run(),
    );
    expect(verify()).toMatchObject({ ok: false, damage: 'edited', firstBadId: 260 });
    tmp.cleanup();
    tmp = tempDir('station-chain-');
    file = join(tmp.dir, 'station.db');
    runStation();
    attack((db) => db.prepare(`UPDATE inspections SET product_id = 'plate-a' WHERE id = 10`).run());
    expect(verify()).toMatchObject({ ok: false, damage: 'edited', firstBadId: 10 });
  });

  it('refuses an update of product, run or source file through the station connection', () => {
    const db = openDatabase(file);
    try {
      expect(() => db.prepare(`UPDATE inspections SET product_id = 'x' WHERE id = 301`).run()).toThrow(
        /sealed/,
      );
      expect(() => db.prepare('UPDATE inspections SET run_id = 1 WHERE id = 301').run()).toThrow(/sealed/);
      expect(() => db.prepare(`UPDATE inspections SET source_ref = 'x' WHERE id = 301`).run()).toThrow(
        /sealed/,
      );
    } finally {
      db.close();
    }
  });

  it('detects one deleted inspection', () => {
    attack((db) => db.prepare('DELETE FROM inspections WHERE id = 123').run());
    expect(verify()).toMatchObject({ ok: false, scope: 'inspections', damage: 'deleted', firstBadId: 123 });
  });

  it('detects the last 100 inspections deleted', () => {
    attack((db) => db.prepare('DELETE FROM inspections WHERE id > 300').run());
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'inspections', damage: 'deleted', firstBadId: 301 });
    expect(v.problem).toMatch(/50 inspection rows/);
  });

  it('detects the last 100 inspections deleted together with their seals and a rewound head', () => {
    attack((db) => {
      db.prepare('DELETE FROM inspections WHERE id > 300').run();
      db.prepare('DELETE FROM record_batches WHERE first_id > 300').run();
      const last = db.prepare('SELECT seq, hash FROM record_batches ORDER BY seq DESC LIMIT 1').get() as {
        seq: number;
        hash: string;
      };
      db.prepare('UPDATE record_head SET last_seq = ?, last_hash = ?, last_inspection_id = 300').run(
        last.seq,
        last.hash,
      );
    });
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'inspections', damage: 'truncated', firstBadId: 301 });
    expect(v.problem).toMatch(/Inspections 301\.\.400/);
  });

  it('detects a cut audit tail with audit_head moved back', () => {
    attack((db) => {
      db.prepare('DELETE FROM audit_trail WHERE id > 6').run();
      const h = db.prepare('SELECT hash FROM audit_trail WHERE id = 6').get() as { hash: string };
      db.prepare('UPDATE audit_head SET last_id = 6, last_hash = ?').run(h.hash);
    });
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'audit', damage: 'truncated', firstBadId: 7 });
    expect(v.problem).toMatch(/Audit rows 7\.\.9/);
  });

  it('detects one audit row edited with every later hash recomputed', () => {
    attack((db) => {
      db.prepare(`UPDATE audit_trail SET actor = 'someone else' WHERE id = 4`).run();
      rehashAudit(db, 4);
    });
    const v = verify();
    expect(v).toMatchObject({ ok: false, scope: 'audit', damage: 'rewritten', firstBadId: 4 });
    expect(v.problem).toMatch(/Audit row 4 differs/);
  });

  it('detects a deleted checkpoint', () => {
    attack((db) => db.prepare('DELETE FROM checkpoint_latest').run());
    expect(verify()).toMatchObject({ ok: false, scope: 'checkpoint', damage: 'unsigned' });
  });

  it('an exported checkpoint kept elsewhere detects an attacker who also replaced the key file', () => {
    const db = openDatabase(file);
    attachSigningKey(db, loadOrCreateSigningKey(tmp.dir), () => new Date((clock += 20_000)));
    const kept = JSON.parse(JSON.stringify(exportCheckpoint(db))) as CheckpointExport;
    db.close();
    expect(verify(kept)).toMatchObject({ ok: true });

    // Edit, re-hash the whole chain, make a new key and re-sign every checkpoint with it.
    attack((adb) => {
      adb.prepare(`UPDATE audit_trail SET reason = 'covered up' WHERE id = 2`).run();
      rehashAudit(adb, 2);
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(join(tmp.dir, SIGNING_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
      const forged = readSigningKey(join(tmp.dir, SIGNING_KEY_FILE));
      const resign = (statement: string): { statement: string; signature: string } => {
        const s = JSON.parse(statement) as { keyId: string; audit: { lastId: number; lastHash: string } };
        s.keyId = forged.keyId;
        const h = adb.prepare('SELECT hash FROM audit_trail WHERE id = ?').get(s.audit.lastId) as
          { hash: string } | undefined;
        if (h) s.audit.lastHash = h.hash;
        const text = JSON.stringify(s);
        return {
          statement: text,
          signature: sign(null, Buffer.from(text), forged.privateKey).toString('base64'),
        };
      };
      for (const cp of adb.prepare('SELECT seq, statement FROM checkpoints').all() as Array<{
        seq: number;
        statement: string;
      }>) {
        const r = resign(cp.statement);
        adb
          .prepare('UPDATE checkpoints SET statement = ?, signature = ? WHERE seq = ?')
          .run(r.statement, r.signature, cp.seq);
      }
      const latest = adb.prepare('SELECT statement FROM checkpoint_latest').get() as { statement: string };
      const r = resign(latest.statement);
      adb.prepare('UPDATE checkpoint_latest SET statement = ?, signature = ?').run(r.statement, r.signature);
    });
    // Against the station's own (replaced) key everything looks fine: only the kept copy can tell.
    expect(verify()).toMatchObject({ ok: true });
    const v = verify(kept);
    expect(v).toMatchObject({ ok: false, scope: 'audit', damage: 'rewritten' });
    expect(v.problem).toMatch(/kept checkpoint/);
  });

  it('a kept checkpoint with a broken signature is reported, not trusted', () => {
    const db = openDatabase(file);
    attachSigningKey(db, loadOrCreateSigningKey(tmp.dir));
    const kept = exportCheckpoint(db);
    db.close();
    const forged = { ...kept, statement: kept.statement.replace(/"lastId":\d+/, '"lastId":1') };
    expect(verify(forged)).toMatchObject({ ok: false, scope: 'checkpoint' });
  });

  it('rows written by a v2 station are sealed on upgrade and verify', () => {
    const t = tempDir('station-chain-v2-');
    try {
      const f = join(t.dir, 'station.db');
      const v2 = openDatabase(f, { migrations: MIGRATIONS.slice(0, 2) });
      const ins =
        v2.prepare(`INSERT INTO inspections (at, source, model_id, model_version, raw_score, norm_score, verdict, latency_ms)
        VALUES (?, 'cam', 'm', 1, 0.5, 0.25, 'FAIL', 3)`);
      for (let i = 0; i < 1500; i++) ins.run(new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString());
      v2.close();
      const db = openDatabase(f);
      attachSigningKey(db, loadOrCreateSigningKey(t.dir));
      db.close();
      const ro = new Database(f, { readonly: true });
      const key = readSigningKey(join(t.dir, SIGNING_KEY_FILE)).publicKey;
      expect(verifyStationChain(ro, { publicKey: key })).toMatchObject({
        ok: true,
        checkedInspections: 1500,
      });
      ro.close();
    } finally {
      t.cleanup();
    }
  });
});
