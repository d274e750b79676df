// Ships the station's tamper evidence (signed checkpoints, sealed inspection batches, the public
// key) with each replication transaction, so the centre can verify the station's records without
// the station. Both tables are append-only on the station, so "every row after the highest one
// the centre holds" is always complete; nothing needs queueing.
import type { ClientBase } from 'pg';
import type { Db } from '../storage';
import { publicKeyPem, signingKeyOf } from '../storage/checkpoints';
import type { BatchDbRow } from '../storage/chain-rows';

/** Rows per table per transaction: a station that joins late catches up over several batches. */
const CHUNK = 500;

interface CheckpointRow {
  seq: number;
  at: string;
  statement: string;
  signature: string;
}

export class ChainShipper {
  private readonly checkpoints;
  private readonly batches;

  constructor(
    private readonly db: Db,
    private readonly stationId: string,
  ) {
    const has = (t: string) =>
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(t) !== undefined;
    this.checkpoints = has('checkpoints')
      ? db.prepare<[number, number], CheckpointRow>(
          'SELECT seq, at, statement, signature FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?',
        )
      : null;
    this.batches = has('record_batches')
      ? db.prepare<[number, number], BatchDbRow>(
          `SELECT seq, at, first_id, last_id, row_count, rows_from, rows_to, leaves, merkle_root, prev_hash,
             hash FROM record_batches WHERE seq > ? ORDER BY seq LIMIT ?`,
        )
      : null;
  }

  /** Runs inside the caller's transaction (after the station row is locked). */
  async ship(client: ClientBase): Promise<void> {
    const key = signingKeyOf(this.db);
    if (key) {
      // The first key seen is kept: a different key later is what the verifier must report.
      await client.query(
        'UPDATE stations SET public_key = $2, key_id = $3 WHERE station_id = $1 AND public_key IS NULL',
        [this.stationId, publicKeyPem(key.publicKey), key.keyId],
      );
    }
    if (this.checkpoints) {
      const after = await this.maxSeq(client, 'station_checkpoints');
      const rows = this.checkpoints.all(after, CHUNK);
      if (rows.length) {
        await client.query(
          `INSERT INTO station_checkpoints (station_id, seq, at, statement, signature)
           SELECT $1, r.* FROM jsonb_to_recordset($2::jsonb) AS r(seq BIGINT, at TEXT, statement TEXT,
             signature TEXT) ON CONFLICT DO NOTHING`,
          [this.stationId, JSON.stringify(rows)],
        );
      }
    }
    if (this.batches) {
      const after = await this.maxSeq(client, 'record_batches');
      const rows = this.batches.all(after, CHUNK);
      if (rows.length) {
        await client.query(
          `INSERT INTO record_batches (station_id, seq, at, first_id, last_id, row_count, rows_from, rows_to,
             leaves, merkle_root, prev_hash, hash)
           SELECT $1, r.seq, r.at, r.first_id, r.last_id, r.row_count, r.rows_from, r.rows_to,
             decode(r.leaves, 'base64'), r.merkle_root, r.prev_hash, r.hash
           FROM jsonb_to_recordset($2::jsonb) AS r(seq BIGINT, at TEXT, first_id BIGINT, last_id BIGINT,
             row_count INTEGER, rows_from TEXT, rows_to TEXT, leaves TEXT, merkle_root TEXT, prev_hash TEXT,
             hash TEXT)
           ON CONFLICT DO NOTHING`,
          [this.stationId, JSON.stringify(rows.map((r) => ({ ...r, leaves: r.leaves.toString('base64') })))],
        );
      }
    }
  }

  private async maxSeq(client: ClientBase, table: 'station_checkpoints' | 'record_batches'): Promise<number> {
    const r = await client.query<{ m: string | null }>(
      `SELECT max(seq) AS m FROM ${table} WHERE station_id = $1`,
      [this.stationId],
    );
    return Number(r.rows[0]?.m ?? 0);
  }
}
