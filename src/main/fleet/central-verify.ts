// Re-verifies each station's audit chain from the rows held centrally, with the station's own
// hash function: a row edited, deleted or reordered in PostgreSQL breaks the chain here.
import type { ClientBase } from 'pg';
import { createPublicKey } from 'node:crypto';
import { auditRowHash, GENESIS_HASH } from '../storage/audit-hash';
import { keyIdOf, parseStatement, signatureValid } from '../storage/checkpoints';
import {
  batchHash,
  inspectionLeaf,
  merkleRoot,
  SEALED_COLUMNS_V1,
  type SealedInspection,
} from '../storage/record-hash';
import type { AuditDbRow, BatchDbRow } from '../storage/chain-rows';

export interface ChainVerdict {
  stationId: string;
  ok: boolean;
  rows: number;
  /** First row whose id, link or hash does not check out. */
  firstBadId: number | null;
  problem: string | null;
}

const PAGE = 5000;

export async function verifyCentralAuditChain(client: ClientBase, stationId: string): Promise<ChainVerdict> {
  let expectedId = 1;
  let prev = GENESIS_HASH;
  let rows = 0;
  const bad = (id: number, problem: string): ChainVerdict => ({
    stationId,
    ok: false,
    rows,
    firstBadId: id,
    problem,
  });
  // Keyset pages keep memory flat over millions of audit rows.
  for (;;) {
    const res = await client.query<AuditDbRow<string>>(
      `SELECT id, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash FROM audit_trail
       WHERE station_id = $1 AND id >= $2 ORDER BY id LIMIT $3`,
      [stationId, expectedId, PAGE],
    );
    for (const r of res.rows) {
      const id = Number(r.id);
      if (id !== expectedId) return bad(expectedId, `audit row ${expectedId} is missing`);
      if (r.prev_hash !== prev) return bad(id, `audit row ${id} does not link to row ${id - 1}`);
      const h = auditRowHash({
        id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        oldValue: r.old_value,
        newValue: r.new_value,
        reason: r.reason,
        prevHash: r.prev_hash,
      });
      if (h !== r.hash) return bad(id, `audit row ${id} was altered: its hash does not match its content`);
      prev = r.hash;
      expectedId++;
      rows++;
    }
    if (res.rows.length < PAGE) break;
  }
  return { stationId, ok: true, rows, firstBadId: null, problem: null };
}

export interface RecordsVerdict {
  stationId: string;
  ok: boolean;
  /** What is wrong, in words; null when everything held centrally checks out. */
  problem: string | null;
  /** The record the problem is in. */
  firstBad: { kind: 'checkpoint' | 'batch' | 'inspection' | 'key'; id: number | null } | null;
  checkpoints: number;
  batches: number;
  inspections: number;
  /** Sealed inspections the centre does not hold yet (still in the station's outbox). */
  pendingInspections: number;
  /** When the newest verified checkpoint was signed. */
  newestCheckpointAt: string | null;
}

const BATCH_PAGE = 200;

/**
 * Verifies what the centre holds of a station's sealed records: every checkpoint's signature with
 * the station's public key, the checkpoints' audit and batch heads against the rows held here, the
 * batch chain, and each inspection row against its batch's leaf hash. A row changed in PostgreSQL
 * no longer hashes to its leaf; a row deleted here is missing although the replication log says
 * it arrived. Rows not yet shipped are counted, not reported.
 */
export async function verifyCentralRecords(client: ClientBase, stationId: string): Promise<RecordsVerdict> {
  const v: RecordsVerdict = {
    stationId,
    ok: true,
    problem: null,
    firstBad: null,
    checkpoints: 0,
    batches: 0,
    inspections: 0,
    pendingInspections: 0,
    newestCheckpointAt: null,
  };
  const fail = (
    kind: NonNullable<RecordsVerdict['firstBad']>['kind'],
    id: number | null,
    problem: string,
  ) => ({
    ...v,
    ok: false,
    problem,
    firstBad: { kind, id },
  });
  const st = await client.query<{ public_key: string | null; key_id: string | null }>(
    'SELECT public_key, key_id FROM stations WHERE station_id = $1',
    [stationId],
  );
  if (st.rows.length === 0) return fail('key', null, `No station "${stationId}" in the central database.`);
  const pem = st.rows[0].public_key;
  const cps = await client.query<{ seq: string; at: string; statement: string; signature: string }>(
    'SELECT seq, at, statement, signature FROM station_checkpoints WHERE station_id = $1 ORDER BY seq',
    [stationId],
  );
  if (!pem) {
    if (cps.rows.length > 0)
      return fail('key', null, 'Checkpoints arrived but the station public key did not.');
  } else {
    const key = createPublicKey(pem);
    const keyId = keyIdOf(key);
    if (st.rows[0].key_id !== keyId)
      return fail('key', null, 'The stored key id does not match the stored key.');
    for (const cp of cps.rows) {
      const seq = Number(cp.seq);
      const s = parseStatement(cp.statement);
      if (!s || s.keyId !== keyId || !signatureValid(key, cp.statement, cp.signature)) {
        return fail(
          'checkpoint',
          seq,
          `Checkpoint ${seq} is not signed by this station's key (changed here?).`,
        );
      }
      if (s.audit.lastId > 0) {
        const a = await client.query<{ hash: string }>(
          'SELECT hash FROM audit_trail WHERE station_id = $1 AND id = $2',
          [stationId, s.audit.lastId],
        );
        if (a.rows[0] && a.rows[0].hash !== s.audit.lastHash) {
          return fail(
            'checkpoint',
            seq,
            `Audit row ${s.audit.lastId} differs from what checkpoint ${seq} signed.`,
          );
        }
      }
      if (s.records.lastSeq > 0) {
        const b = await client.query<{ hash: string }>(
          'SELECT hash FROM record_batches WHERE station_id = $1 AND seq = $2',
          [stationId, s.records.lastSeq],
        );
        if (b.rows[0] && b.rows[0].hash !== s.records.lastHash) {
          return fail(
            'checkpoint',
            seq,
            `Inspection batch ${s.records.lastSeq} differs from what checkpoint ${seq} signed.`,
          );
        }
      }
      v.checkpoints++;
      v.newestCheckpointAt = s.at;
    }
  }

  let prev = GENESIS_HASH;
  let after = 0;
  for (;;) {
    const page = await client.query<BatchDbRow<string>>(
      `SELECT seq, at, first_id, last_id, row_count, rows_from, rows_to, leaves, merkle_root, prev_hash, hash
       FROM record_batches WHERE station_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [stationId, after, BATCH_PAGE],
    );
    if (page.rows.length === 0) break;
    const first = Number(page.rows[0].first_id);
    const last = Number(page.rows[page.rows.length - 1].last_id);
    const rows = await client.query<Record<string, unknown>>(
      `SELECT ${SEALED_COLUMNS_V1}, product AS product_id, run_id, source_ref FROM inspections
       WHERE station_id = $1 AND id BETWEEN $2 AND $3 ORDER BY id`,
      [stationId, first, last],
    );
    const byId = new Map(rows.rows.map((r) => [Number(r.id), r]));
    const arrived = await client.query<{ id: string }>(
      `SELECT entity_id AS id FROM replication_log WHERE station_id = $1 AND kind = 'inspection'
         AND entity_id = ANY($2::text[])`,
      [stationId, seqRange(first, last).map(String)],
    );
    const shipped = new Set(arrived.rows.map((r) => Number(r.id)));
    for (const b of page.rows) {
      const seq = Number(b.seq);
      if (seq !== after + 1) return fail('batch', after + 1, `Inspection batch ${after + 1} is missing.`);
      if (b.prev_hash !== prev)
        return fail('batch', seq, `Inspection batch ${seq} does not link to batch ${seq - 1}.`);
      const leaves: Buffer[] = [];
      for (let i = 0; i < b.leaves.length; i += 32) leaves.push(b.leaves.subarray(i, i + 32));
      const input = {
        seq,
        at: b.at,
        firstId: Number(b.first_id),
        lastId: Number(b.last_id),
        rowCount: b.row_count,
        rowsFrom: b.rows_from,
        rowsTo: b.rows_to,
        merkleRoot: b.merkle_root,
        prevHash: b.prev_hash,
      };
      if (
        batchHash(input) !== b.hash ||
        merkleRoot(leaves) !== b.merkle_root ||
        leaves.length !== b.row_count
      ) {
        return fail(
          'batch',
          seq,
          `Inspection batch ${seq} was altered: its hash does not match its content.`,
        );
      }
      // A batch seals consecutive ids (one insert transaction, one writer).
      for (let i = 0; i < leaves.length; i++) {
        const id = input.firstId + i;
        const row = byId.get(id);
        if (!row) {
          if (shipped.has(id))
            return fail('inspection', id, `Inspection ${id} arrived here and was deleted since.`);
          v.pendingInspections++;
          continue;
        }
        if (!inspectionLeaf(sealedOf(row)).equals(leaves[i])) {
          return fail(
            'inspection',
            id,
            `Inspection ${id} was altered here: it no longer matches its sealed hash.`,
          );
        }
        v.inspections++;
      }
      prev = b.hash;
      after = seq;
      v.batches++;
    }
  }
  return v;
}

function seqRange(first: number, last: number): number[] {
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(i);
  return out;
}

function sealedOf(r: Record<string, unknown>): SealedInspection {
  return {
    id: Number(r.id),
    at: r.at as string,
    source: r.source as string,
    frame_id: r.frame_id as string | null,
    model_id: r.model_id as string,
    model_version: Number(r.model_version),
    raw_score: Number(r.raw_score),
    norm_score: Number(r.norm_score),
    verdict: r.verdict as string,
    latency_ms: Number(r.latency_ms),
    image_ref: r.image_ref as string | null,
    image_sha256: r.image_sha256 as string | null,
    heatmap_ref: r.heatmap_ref as string | null,
    heatmap_sha256: r.heatmap_sha256 as string | null,
    store_error: r.store_error as string | null,
    shift: r.shift as string | null,
    product_id: (r.product_id as string | null) ?? null,
    run_id: r.run_id === null || r.run_id === undefined ? null : Number(r.run_id),
    source_ref: (r.source_ref as string | null) ?? null,
  };
}
