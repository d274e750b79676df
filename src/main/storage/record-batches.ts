// Seals committed inspection rows: every insert transaction ends with one batch row that holds the
// rows' leaf hashes and Merkle root and is chained to the previous batch, so an edited, deleted or
// added inspection no longer matches the chain. record_head remembers the end of the chain (like
// audit_head) so a cut tail is visible too.
import type { Database, Statement } from 'better-sqlite3';
import { GENESIS_HASH } from './audit-hash';
import { batchHash, inspectionLeaf, merkleRoot, type SealedInspection } from './record-hash';

export interface RecordHead {
  last_seq: number;
  last_hash: string;
  last_inspection_id: number;
}

export interface SealedBatch {
  seq: number;
  firstId: number;
  lastId: number;
  hash: string;
}

export class RecordSealer {
  private readonly headStmt: Statement<[], RecordHead>;
  private readonly insertStmt: Statement<unknown[]>;
  private readonly advanceStmt: Statement<[number, string, number]>;

  constructor(db: Database) {
    this.headStmt = db.prepare(
      'SELECT last_seq, last_hash, last_inspection_id FROM record_head WHERE singleton = 1',
    );
    this.insertStmt = db.prepare(`INSERT INTO record_batches
      (seq, at, first_id, last_id, row_count, rows_from, rows_to, leaves, merkle_root, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.advanceStmt = db.prepare(
      'UPDATE record_head SET last_seq = ?, last_hash = ?, last_inspection_id = ? WHERE singleton = 1',
    );
  }

  head(): RecordHead {
    const h = this.headStmt.get();
    if (!h) throw new Error('record_head row is missing; inspections cannot be sealed.');
    return h;
  }

  /** Must run inside the transaction that inserted the rows (ordered by id, all after the head). */
  seal(rows: readonly SealedInspection[], at: string): SealedBatch | null {
    if (rows.length === 0) return null;
    const head = this.head();
    const leaves = rows.map(inspectionLeaf);
    let from = rows[0].at;
    let to = rows[0].at;
    for (const r of rows) {
      if (r.at < from) from = r.at;
      if (r.at > to) to = r.at;
    }
    const b = {
      seq: head.last_seq + 1,
      at,
      firstId: rows[0].id,
      lastId: rows[rows.length - 1].id,
      rowCount: rows.length,
      rowsFrom: from,
      rowsTo: to,
      merkleRoot: merkleRoot(leaves),
      prevHash: head.last_hash,
    };
    const hash = batchHash(b);
    this.insertStmt.run(
      b.seq,
      b.at,
      b.firstId,
      b.lastId,
      b.rowCount,
      b.rowsFrom,
      b.rowsTo,
      Buffer.concat(leaves),
      b.merkleRoot,
      b.prevHash,
      hash,
    );
    this.advanceStmt.run(b.seq, hash, Math.max(head.last_inspection_id, b.lastId));
    return { seq: b.seq, firstId: b.firstId, lastId: b.lastId, hash };
  }
}

export { GENESIS_HASH };
