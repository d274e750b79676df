// Re-verifies each station's audit chain from the rows held centrally, with the station's own
// hash function: a row edited, deleted or reordered in PostgreSQL breaks the chain here.
import type { ClientBase } from 'pg';
import { auditRowHash, GENESIS_HASH } from '../storage/audit-hash';

export interface ChainVerdict {
  stationId: string;
  ok: boolean;
  rows: number;
  /** First row whose id, link or hash does not check out. */
  firstBadId: number | null;
  problem: string | null;
}

interface AuditDbRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
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
    const res = await client.query<AuditDbRow>(
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
