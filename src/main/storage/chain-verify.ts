// Full verification of the station's records: the audit chain, the sealed inspection batches, the
// signed checkpoints (against the key file's public key) and, when given, a checkpoint exported
// earlier and kept outside the station. Reports the first damage found: which record, what kind,
// and the time window it affects. Read-only: works on a read-only connection.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { AuditVerification, ChainDamageKind } from '@shared/api';
import type { Db } from './database';
import { GENESIS_HASH, auditRowHash } from './audit-hash';
import {
  keyIdOf,
  parseStatement,
  signatureValid,
  type CheckpointExport,
  type CheckpointStatement,
} from './checkpoints';
import { batchHash, inspectionLeaf, merkleRoot, SEALED_COLUMNS, type SealedInspection } from './record-hash';
import type { AuditDbRow, BatchDbRow } from './chain-rows';

export interface ChainDamage {
  scope: 'audit' | 'inspections' | 'checkpoint';
  kind: ChainDamageKind;
  firstBadId: number | null;
  window: { from: string | null; to: string | null };
  problem: string;
}

export interface VerifyChainOptions {
  /** The station's public key (from the key file); null when the key file is missing. */
  publicKey: KeyObject | null;
  /** Why the key is unavailable, for the report. */
  keyProblem?: string;
  /** A checkpoint exported earlier and kept elsewhere. */
  external?: CheckpointExport | null;
  now?: () => Date;
}

interface ChainEnd {
  checked: number;
  lastId: number;
  lastHash: string;
  lastAt: string | null;
}

const win = (from: string | null, to: string | null): ChainDamage['window'] => ({ from, to });

/** The audit chain alone: ids consecutive, each row linked and hashing to its stored hash, head matching. */
export function verifyAuditChain(db: Db): { end: ChainEnd; damage: ChainDamage | null } {
  let expectedId = 1;
  let prevHash = GENESIS_HASH;
  let prevAt: string | null = null;
  let checked = 0;
  const end = (): ChainEnd => ({ checked, lastId: expectedId - 1, lastHash: prevHash, lastAt: prevAt });
  const bad = (kind: ChainDamageKind, id: number, to: string | null, problem: string) => ({
    end: end(),
    damage: { scope: 'audit' as const, kind, firstBadId: id, window: win(prevAt, to), problem },
  });
  const rows = db
    .prepare('SELECT * FROM audit_trail ORDER BY id ASC')
    .iterate() as IterableIterator<AuditDbRow>;
  for (const r of rows) {
    if (r.id !== expectedId) {
      if (r.id > expectedId) {
        const range = `${expectedId}${r.id - expectedId > 1 ? `..${r.id - 1}` : ''}`;
        return bad('deleted', expectedId, r.at, `Row ${range} is missing (deleted row).`);
      }
      return bad('inserted', r.id, r.at, `Row ${r.id} is out of sequence (inserted row).`);
    }
    if (r.prev_hash !== prevHash) {
      return bad(
        'inserted',
        r.id,
        r.at,
        `Row ${r.id} does not link to the previous row's hash (inserted or replaced row).`,
      );
    }
    const recomputed = auditRowHash({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      entity: r.entity,
      oldValue: r.old_value,
      newValue: r.new_value,
      reason: r.reason,
      prevHash: r.prev_hash,
    });
    if (recomputed !== r.hash) {
      return bad('edited', r.id, r.at, `Row ${r.id} content does not match its hash (edited row).`);
    }
    prevHash = r.hash;
    prevAt = r.at;
    expectedId += 1;
    checked += 1;
  }
  const head = db.prepare('SELECT last_id, last_hash FROM audit_head WHERE singleton = 1').get() as
    { last_id: number; last_hash: string } | undefined;
  const lastId = expectedId - 1;
  if (!head) return bad('deleted', lastId + 1, null, 'The audit head record is missing.');
  if (head.last_id > lastId) {
    return bad(
      'truncated',
      lastId + 1,
      null,
      `Rows ${lastId + 1}..${head.last_id} are missing from the end of the trail (deleted tail).`,
    );
  }
  if (head.last_id < lastId) {
    return bad(
      'inserted',
      head.last_id + 1,
      null,
      `Rows after ${head.last_id} were added outside the station (the recorded head ends there).`,
    );
  }
  if (head.last_hash !== prevHash) {
    return bad('edited', lastId, null, `Row ${lastId} is not the row the head recorded (replaced tail).`);
  }
  return { end: end(), damage: null };
}

/** The sealed inspection batches: chained, each batch's rows present and hashing to its leaves. */
export function verifyRecordChain(db: Db): {
  end: ChainEnd & { lastInspectionId: number };
  damage: ChainDamage | null;
} {
  const rowsIn = db.prepare(`SELECT ${SEALED_COLUMNS} FROM inspections WHERE id BETWEEN ? AND ? ORDER BY id`);
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let prevLastId = 0;
  let prevTo: string | null = null;
  let checked = 0;
  const end = () => ({
    checked,
    lastId: expectedSeq - 1,
    lastHash: prevHash,
    lastAt: prevTo,
    lastInspectionId: prevLastId,
  });
  const bad = (
    kind: ChainDamageKind,
    id: number | null,
    from: string | null,
    to: string | null,
    problem: string,
  ) => ({
    end: end(),
    damage: { scope: 'inspections' as const, kind, firstBadId: id, window: win(from, to), problem },
  });
  const batches = db
    .prepare('SELECT * FROM record_batches ORDER BY seq ASC')
    .iterate() as IterableIterator<BatchDbRow>;
  for (const b of batches) {
    const span = `inspections ${b.first_id}..${b.last_id} (batch ${b.seq})`;
    if (b.seq !== expectedSeq) {
      return bad(
        'deleted',
        prevLastId + 1,
        prevTo,
        b.rows_to,
        `Sealed batch ${expectedSeq} is missing (deleted batch).`,
      );
    }
    const recomputed = batchHash({
      seq: b.seq,
      at: b.at,
      firstId: b.first_id,
      lastId: b.last_id,
      rowCount: b.row_count,
      rowsFrom: b.rows_from,
      rowsTo: b.rows_to,
      merkleRoot: b.merkle_root,
      prevHash: b.prev_hash,
    });
    if (b.prev_hash !== prevHash || recomputed !== b.hash || b.first_id <= prevLastId) {
      return bad('edited', b.first_id, b.rows_from, b.rows_to, `The seal of ${span} was altered.`);
    }
    const leaves: Buffer[] = [];
    for (let o = 0; o + 32 <= b.leaves.length; o += 32) leaves.push(b.leaves.subarray(o, o + 32));
    if (leaves.length !== b.row_count || merkleRoot(leaves) !== b.merkle_root) {
      return bad(
        'edited',
        b.first_id,
        b.rows_from,
        b.rows_to,
        `The row hashes sealed for ${span} were altered.`,
      );
    }
    const rows = rowsIn.all(b.first_id, b.last_id) as SealedInspection[];
    const n = Math.max(rows.length, leaves.length);
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row && i < leaves.length && inspectionLeaf(row).equals(leaves[i])) continue;
      if (rows.length < leaves.length) {
        // Sealed ranges are contiguous ids for rows written since v3, so the gap names the row.
        const contiguous = b.last_id - b.first_id + 1 === b.row_count;
        const missing = contiguous ? firstMissingId(rows, b.first_id) : (row?.id ?? b.last_id);
        const count = leaves.length - rows.length;
        return bad(
          'deleted',
          missing,
          b.rows_from,
          b.rows_to,
          `${count} inspection row${count === 1 ? '' : 's'} sealed in ${span} ${count === 1 ? 'is' : 'are'} missing, first ${missing} (deleted row).`,
        );
      }
      if (rows.length > leaves.length) {
        return bad(
          'inserted',
          row?.id ?? null,
          b.rows_from,
          b.rows_to,
          `Inspection ${row?.id} was added inside ${span} (inserted row).`,
        );
      }
      return bad(
        'edited',
        row.id,
        row.at < (b.rows_from ?? row.at) ? row.at : b.rows_from,
        b.rows_to,
        `Inspection ${row.id} does not match the hash sealed in batch ${b.seq} (edited row: verdict, scores, model, product, run, source file, image hashes or time).`,
      );
    }
    prevHash = b.hash;
    prevLastId = b.last_id;
    prevTo = b.rows_to;
    checked += rows.length;
    expectedSeq += 1;
  }
  const head = db
    .prepare('SELECT last_seq, last_hash, last_inspection_id FROM record_head WHERE singleton = 1')
    .get() as { last_seq: number; last_hash: string; last_inspection_id: number } | undefined;
  const lastSeq = expectedSeq - 1;
  if (!head) return bad('deleted', null, prevTo, null, 'The inspection seal head record is missing.');
  if (head.last_seq > lastSeq) {
    return bad(
      'truncated',
      prevLastId + 1,
      prevTo,
      null,
      `Sealed batches ${lastSeq + 1}..${head.last_seq} are missing from the end (deleted tail, inspections after ${prevLastId}).`,
    );
  }
  if (head.last_seq < lastSeq || head.last_hash !== prevHash) {
    return bad(
      'edited',
      prevLastId,
      prevTo,
      null,
      `The inspection seal head does not match the last sealed batch.`,
    );
  }
  const total = (db.prepare('SELECT COUNT(*) AS n FROM inspections').get() as { n: number }).n;
  if (total !== checked) {
    const stray = db
      .prepare(
        `SELECT id, at FROM inspections i WHERE NOT EXISTS
          (SELECT 1 FROM record_batches b WHERE i.id BETWEEN b.first_id AND b.last_id) ORDER BY id LIMIT 1`,
      )
      .get() as { id: number; at: string } | undefined;
    return bad(
      'inserted',
      stray?.id ?? null,
      stray?.at ?? null,
      stray?.at ?? null,
      `${total - checked} inspection row(s) are not in any sealed batch, first ${stray?.id} (inserted outside the station).`,
    );
  }
  return { end: end(), damage: null };
}

function firstMissingId(rows: readonly SealedInspection[], firstId: number): number {
  for (let i = 0; i < rows.length; i++) if (rows[i].id !== firstId + i) return firstId + i;
  return firstId + rows.length;
}

interface Heads {
  audit: ChainEnd;
  records: ChainEnd & { lastInspectionId: number };
}

/** Compares a signed statement with the chains as they are now. */
function checkStatement(
  db: Db,
  st: CheckpointStatement,
  heads: Heads,
  since: { at: string | null; auditId: number; recordId: number },
  label: string,
  /** The newest valid signed statement: a cut tail is reported up to where it really ended. */
  newest: CheckpointStatement | null = null,
): ChainDamage | null {
  const top = newest ?? st;
  const auditHash = db.prepare('SELECT hash FROM audit_trail WHERE id = ?');
  const batch = db.prepare('SELECT hash, first_id FROM record_batches WHERE seq = ?');
  if (st.audit.lastId > heads.audit.lastId) {
    return {
      scope: 'audit',
      kind: 'truncated',
      firstBadId: heads.audit.lastId + 1,
      window: win(heads.audit.lastAt, top.at),
      problem: `Audit rows ${heads.audit.lastId + 1}..${Math.max(st.audit.lastId, top.audit.lastId)} were signed (${label}, ${st.at}) but are gone (deleted tail).`,
    };
  }
  if (st.audit.lastId > 0) {
    const h = auditHash.get(st.audit.lastId) as { hash: string } | undefined;
    if (h?.hash !== st.audit.lastHash) {
      const first = since.auditId + 1;
      return {
        scope: 'audit',
        kind: 'rewritten',
        firstBadId: first,
        window: win(since.at, st.at),
        problem:
          first === st.audit.lastId
            ? `Audit row ${first} differs from what ${label} signed at ${st.at} (row edited and the chain re-hashed).`
            : `Audit rows ${first}..${st.audit.lastId} differ from what ${label} signed at ${st.at} (rows edited and the chain re-hashed).`,
      };
    }
  }
  if (st.records.lastSeq > heads.records.lastId) {
    return {
      scope: 'inspections',
      kind: 'truncated',
      firstBadId: heads.records.lastInspectionId + 1,
      window: win(heads.records.lastAt, top.at),
      problem: `Inspections ${heads.records.lastInspectionId + 1}..${Math.max(st.records.lastInspectionId, top.records.lastInspectionId)} were signed (${label}, ${st.at}) but are gone (deleted tail).`,
    };
  }
  if (st.records.lastSeq > 0) {
    const b = batch.get(st.records.lastSeq) as { hash: string; first_id: number } | undefined;
    if (b?.hash !== st.records.lastHash) {
      return {
        scope: 'inspections',
        kind: 'rewritten',
        firstBadId: since.recordId + 1,
        window: win(since.at, st.at),
        problem: `Inspections ${since.recordId + 1}..${st.records.lastInspectionId} differ from what ${label} signed at ${st.at} (rows changed and re-sealed).`,
      };
    }
  }
  return null;
}

function verifyCheckpoints(
  db: Db,
  heads: Heads,
  opts: VerifyChainOptions,
): { damage: ChainDamage | null; at: string | null } {
  const latest = db
    .prepare('SELECT at, statement, signature FROM checkpoint_latest WHERE singleton = 1')
    .get() as { at: string; statement: string; signature: string } | undefined;
  const empty = heads.audit.lastId === 0 && heads.records.lastId === 0;
  const cpDamage = (kind: ChainDamageKind, problem: string, at: string | null = null): ChainDamage => ({
    scope: 'checkpoint',
    kind,
    firstBadId: null,
    window: win(at, null),
    problem,
  });
  if (!opts.publicKey) {
    if (empty && !latest) return { damage: null, at: null };
    return {
      damage: cpDamage(
        'key_replaced',
        `The station's signing key is unavailable (${opts.keyProblem ?? 'no key'}); checkpoints cannot be checked.`,
      ),
      at: latest?.at ?? null,
    };
  }
  const key = opts.publicKey;
  const keyId = keyIdOf(key);
  const latestSt = latest ? parseStatement(latest.statement) : null;
  const newest =
    latest && latestSt && latestSt.keyId === keyId && signatureValid(key, latest.statement, latest.signature)
      ? latestSt
      : null;
  let since = { at: null as string | null, auditId: 0, recordId: 0 };
  const history = db
    .prepare('SELECT seq, at, statement, signature FROM checkpoints ORDER BY seq ASC')
    .iterate() as IterableIterator<{
    seq: number;
    at: string;
    statement: string;
    signature: string;
  }>;
  for (const cp of history) {
    const st = parseStatement(cp.statement);
    if (!st || !signatureValid(key, cp.statement, cp.signature) || st.keyId !== keyId) {
      return {
        damage: cpDamage(
          'rewritten',
          `Checkpoint ${cp.seq} (${cp.at}) is not signed by this station's key (forged or altered).`,
          since.at,
        ),
        at: latest?.at ?? null,
      };
    }
    const d = checkStatement(db, st, heads, since, `checkpoint ${cp.seq}`, newest);
    if (d) return { damage: d, at: latest?.at ?? null };
    since = { at: st.at, auditId: st.audit.lastId, recordId: st.records.lastInspectionId };
  }
  if (!latest) {
    if (empty) return { damage: null, at: null };
    return {
      damage: cpDamage(
        'unsigned',
        'The signed checkpoint is missing (deleted), so the chain ends are not anchored.',
        since.at,
      ),
      at: null,
    };
  }
  const st = parseStatement(latest.statement);
  if (!st || !signatureValid(key, latest.statement, latest.signature) || st.keyId !== keyId) {
    return {
      damage: cpDamage(
        'rewritten',
        `The latest checkpoint (${latest.at}) is not signed by this station's key (forged or altered).`,
        since.at,
      ),
      at: latest.at,
    };
  }
  const d = checkStatement(db, st, heads, since, 'the latest checkpoint');
  if (d) return { damage: d, at: latest.at };
  if (heads.audit.lastId > st.audit.lastId) {
    return {
      damage: {
        scope: 'audit',
        kind: 'inserted',
        firstBadId: st.audit.lastId + 1,
        window: win(st.at, null),
        problem: `Audit rows ${st.audit.lastId + 1}..${heads.audit.lastId} are not covered by a signed checkpoint (added outside the station).`,
      },
      at: latest.at,
    };
  }
  if (heads.records.lastId > st.records.lastSeq) {
    return {
      damage: {
        scope: 'inspections',
        kind: 'inserted',
        firstBadId: st.records.lastInspectionId + 1,
        window: win(st.at, null),
        problem: `Inspections after ${st.records.lastInspectionId} are not covered by a signed checkpoint (added outside the station).`,
      },
      at: latest.at,
    };
  }
  return { damage: null, at: latest.at };
}

function verifyExternal(
  db: Db,
  heads: Heads,
  ext: CheckpointExport,
  stationKey: KeyObject | null,
): ChainDamage | null {
  let key: KeyObject;
  try {
    key = createPublicKey(ext.publicKey);
  } catch {
    return {
      scope: 'checkpoint',
      kind: 'rewritten',
      firstBadId: null,
      window: win(null, null),
      problem: 'The kept checkpoint has an unreadable public key.',
    };
  }
  const st = parseStatement(ext.statement);
  if (!st || !signatureValid(key, ext.statement, ext.signature)) {
    return {
      scope: 'checkpoint',
      kind: 'rewritten',
      firstBadId: null,
      window: win(null, null),
      problem: 'The kept checkpoint file is damaged: its signature does not verify.',
    };
  }
  const d = checkStatement(db, st, heads, { at: null, auditId: 0, recordId: 0 }, 'the kept checkpoint');
  if (d) return d;
  if (!stationKey || keyIdOf(stationKey) !== keyIdOf(key)) {
    return {
      scope: 'checkpoint',
      kind: 'key_replaced',
      firstBadId: null,
      window: win(st.at, null),
      problem: `The station's signing key is not the one that signed the kept checkpoint of ${st.at}: records after it may have been re-signed.`,
    };
  }
  return null;
}

/**
 * One read transaction for the whole check: a running line commits batches and checkpoints while
 * this reads, and chains read at one moment against a checkpoint read at another would look like
 * damage. WAL gives the transaction one snapshot without blocking the writer.
 */
export function verifyStationChain(db: Db, opts: VerifyChainOptions): AuditVerification {
  return db.transaction(() => verifyStationChainAt(db, opts))();
}

function verifyStationChainAt(db: Db, opts: VerifyChainOptions): AuditVerification {
  const verifiedAt = (opts.now ?? (() => new Date()))().toISOString();
  const audit = verifyAuditChain(db);
  const records = verifyRecordChain(db);
  const report = (damage: ChainDamage | null, checkpointAt: string | null): AuditVerification => ({
    ok: damage === null,
    checkedRows: audit.end.checked,
    checkedInspections: records.end.checked,
    firstBadId: damage?.firstBadId ?? null,
    problem: damage ? `${damage.problem}${describeWindow(damage.window)}` : null,
    verifiedAt,
    scope: damage?.scope ?? null,
    damage: damage?.kind ?? null,
    window: damage?.window ?? null,
    checkpointAt,
  });
  const latestAt =
    (db.prepare('SELECT at FROM checkpoint_latest WHERE singleton = 1').get() as { at: string } | undefined)
      ?.at ?? null;
  if (audit.damage) return report(audit.damage, latestAt);
  if (records.damage) return report(records.damage, latestAt);
  const heads: Heads = { audit: audit.end, records: records.end };
  // The kept checkpoint goes first: when the key file was replaced, the station's own checkpoints
  // were re-signed too and only the outside copy tells the truth.
  if (opts.external) {
    const d = verifyExternal(db, heads, opts.external, opts.publicKey);
    if (d) return report(d, latestAt);
  }
  const cp = verifyCheckpoints(db, heads, opts);
  return report(cp.damage, cp.at);
}

function describeWindow(w: ChainDamage['window']): string {
  if (!w.from && !w.to) return '';
  return ` Affected time window: ${w.from ?? 'start of records'} to ${w.to ?? 'now'}.`;
}
