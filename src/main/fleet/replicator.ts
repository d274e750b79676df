// Ships the station's outbox to the central PostgreSQL database, in order, one batch per
// transaction. Delivery is at-least-once from the station and exactly-once in effect: the
// central side skips every (station_id, seq) it already holds, so a batch whose acknowledgement
// was lost (link cut after COMMIT, station restart) is stored once when it is sent again.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Client, ClientConfig } from 'pg';
import { ImageStore, Outbox, type Db, type OutboxEntry, type OutboxStatus } from '../storage';
import { migrateCentral } from './central-schema';
import { ChainShipper } from './chain-shipper';
import { CentralLink } from './central-link';

export interface ReplicatorOptions {
  db: Db;
  stationId: string;
  /** Root of the station's content-addressed image store; images are shipped from there. */
  imagesDir: string;
  central: ClientConfig;
  batchSize?: number;
  /** Image bytes per batch; a batch always takes at least one entry. */
  batchImageBytes?: number;
  idleMs?: number;
  /** Reconnect delay doubles from this up to maxBackoffMs while the link is down. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Test seams: awaited inside the central transaction before COMMIT, and after it before the local ack. */
  hooks?: {
    beforeCommit?: (seqs: number[]) => Promise<void>;
    afterCommit?: (seqs: number[]) => Promise<void>;
  };
}

export interface ReplicatorState {
  stationId: string;
  connected: boolean;
  lastError: string | null;
  lastShippedSeq: number;
  lastShippedAt: string | null;
  outbox: OutboxStatus;
}

const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Loaded {
  log: Record<string, unknown>[];
  inspection: Record<string, unknown>[];
  review: Record<string, unknown>[];
  audit: Record<string, unknown>[];
  model: Record<string, unknown>[];
  imageSha: string[];
  imageBytes: Buffer[];
}

export class Replicator {
  private readonly outbox: Outbox;
  private readonly loaders: Record<Exclude<OutboxEntry['kind'], 'image'>, (id: string) => unknown>;
  private readonly imageRefs: (
    id: string,
  ) => { image_ref: string | null; heatmap_ref: string | null } | undefined;
  private running: Promise<void> | null = null;
  private stopping = false;
  private lastShippedSeq = 0;
  private lastShippedAt: string | null = null;
  private migrated = false;
  // The schema is migrated once per replicator, on its first connection.
  private readonly link: CentralLink;

  constructor(private readonly o: ReplicatorOptions) {
    this.link = new CentralLink(o.central, async (client) => {
      if (!this.migrated) {
        await migrateCentral(client);
        this.migrated = true;
      }
    });
    if (!STATION_ID.test(o.stationId)) {
      throw new Error(`Station id "${o.stationId}" is invalid: use 1-64 letters, digits, ".", "_" or "-".`);
    }
    this.outbox = new Outbox(o.db);
    const db = o.db;
    const one = (sql: string) => {
      const st = db.prepare(sql);
      return (id: string) => st.get(id);
    };
    // A station with products (schema v5) sends product, run and source ref; older ones send none.
    const traced = (db.prepare('PRAGMA table_info(inspections)').all() as { name: string }[]).some(
      (c) => c.name === 'product_id',
    )
      ? 'product_id AS product, run_id, source_ref'
      : 'NULL AS product, NULL AS run_id, NULL AS source_ref';
    this.loaders = {
      inspection:
        one(`SELECT id, at, source, frame_id, model_id, model_version, raw_score, norm_score, verdict,
        latency_ms, image_sha256, heatmap_sha256, store_error, shift, ${traced}, image_ref,
        heatmap_ref FROM inspections WHERE id = ?`),
      review: one(`SELECT id, inspection_id, decided_at, reviewer, decision, defect_type, reason
        FROM review_decisions WHERE id = ?`),
      audit: one(`SELECT id, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash
        FROM audit_trail WHERE id = ?`),
      model: one(`SELECT id, version, method, backbone, fingerprint, metadata_json, created_at, active
        FROM models WHERE id = ?`),
    };
    const refs = db.prepare('SELECT image_ref, heatmap_ref FROM inspections WHERE id = ?');
    this.imageRefs = (id) =>
      refs.get(id) as { image_ref: string | null; heatmap_ref: string | null } | undefined;
    this.chains = new ChainShipper(db, o.stationId);
  }

  private readonly chains: ChainShipper;

  state(): ReplicatorState {
    return {
      stationId: this.o.stationId,
      connected: this.link.connected,
      lastError: this.link.lastError,
      lastShippedSeq: this.lastShippedSeq,
      lastShippedAt: this.lastShippedAt,
      outbox: this.outbox.status(),
    };
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Lets the in-flight batch finish (or fail), then closes the link. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.link.wake();
    await this.running;
    await this.link.disconnect();
  }

  /** Ships everything queued now; returns how many entries went. Throws on a link error. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.shipBatch();
      if (n === 0) return total;
      total += n;
    }
  }

  /** Ships one batch; returns the number of outbox entries acknowledged. */
  async shipBatch(): Promise<number> {
    const read = this.readBatch();
    if (read.length === 0) return 0;
    const client = await this.link.connect();
    const { loaded, entries } = await this.load(read);
    const seqs = entries.map((e) => e.seq);
    let acked: number;
    try {
      acked = await this.write(client, loaded, entries);
    } catch (err) {
      await this.link.disconnect();
      throw err;
    }
    await this.o.hooks?.afterCommit?.(seqs);
    this.outbox.ack(acked);
    this.lastShippedSeq = acked;
    this.lastShippedAt = new Date().toISOString();
    this.link.lastError = null;
    return entries.length;
  }

  /**
   * After the outbox overflowed, queues again every record the central database lacks, found by
   * comparing ids page by page. Runs once the outbox is empty; those records arrive after newer
   * ones, still each once. Returns how many entries it queued; stops early at the cap.
   */
  async resync(): Promise<number> {
    const before = this.outbox.status();
    if (before.queued > 0) return 0;
    const client = await this.link.connect();
    const db = this.o.db;
    const enqueue = db.prepare('INSERT INTO fleet_outbox (kind, entity_id) VALUES (?, ?)');
    let queued = 0;
    const full = () => this.outbox.status().full;
    const tables = [
      ['model', 'models', 'id'],
      ['audit', 'audit_trail', 'id'],
      ['inspection', 'inspections', 'id'],
      ['review', 'review_decisions', 'id'],
    ] as const;
    for (const [kind, table] of tables) {
      const page = db.prepare(
        `SELECT CAST(id AS TEXT) AS id FROM ${table} WHERE id > ? ORDER BY id LIMIT 1000`,
      );
      let after: string | number = kind === 'model' ? '' : 0;
      for (;;) {
        const ids = (page.all(after) as { id: string }[]).map((r) => r.id);
        if (ids.length === 0) break;
        after = kind === 'model' ? ids[ids.length - 1] : Number(ids[ids.length - 1]);
        const held = await client.query<{ id: string }>(
          `SELECT id::text AS id FROM ${table} WHERE station_id = $1 AND id::text = ANY($2)`,
          [this.o.stationId, ids],
        );
        const have = new Set(held.rows.map((r) => r.id));
        const missing = ids.filter((id) => !have.has(id));
        db.transaction(() => missing.forEach((id) => enqueue.run(kind, id)))();
        queued += missing.length;
        if (kind === 'inspection') queued += await this.resyncImages(client, ids, enqueue);
        if (full()) return queued;
      }
    }
    // Only the drops counted before this pass are settled; any during it need another pass.
    db.prepare(
      `UPDATE fleet_outbox_state SET dropped = dropped - ?,
         first_dropped_at = CASE WHEN dropped - ? = 0 THEN NULL ELSE first_dropped_at END`,
    ).run(before.dropped, before.dropped);
    return queued;
  }

  private async resyncImages(
    client: Client,
    inspectionIds: string[],
    enqueue: { run(kind: string, id: string): unknown },
  ): Promise<number> {
    const rows = this.o.db
      .prepare(
        `SELECT CAST(id AS TEXT) AS id, image_sha256 AS sha FROM inspections
         WHERE id IN (SELECT value FROM json_each(?)) AND image_ref IS NOT NULL AND image_sha256 IS NOT NULL`,
      )
      .all(JSON.stringify(inspectionIds.map(Number))) as { id: string; sha: string }[];
    if (rows.length === 0) return 0;
    const held = await client.query<{ sha256: string }>('SELECT sha256 FROM images WHERE sha256 = ANY($1)', [
      rows.map((r) => r.sha),
    ]);
    const have = new Set(held.rows.map((r) => r.sha256));
    const missing = rows.filter((r) => !have.has(r.sha));
    this.o.db.transaction(() => missing.forEach((r) => enqueue.run('image', r.id)))();
    return missing.length;
  }

  /** Acknowledged entries are deleted, so the oldest unacknowledged ones are simply the first. */
  private readBatch(): OutboxEntry[] {
    return this.outbox.read(0, this.o.batchSize ?? 500);
  }

  private async loop(): Promise<void> {
    let backoff = this.o.backoffMs ?? 250;
    while (!this.stopping) {
      let shipped: number;
      try {
        shipped = await this.shipBatch();
        backoff = this.o.backoffMs ?? 250;
      } catch (err) {
        this.link.noteError(err);
        await this.link.sleep(backoff);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs ?? 5000);
        continue;
      }
      if (shipped === 0) {
        try {
          if (this.outbox.status().dropped > 0) await this.resync();
        } catch (err) {
          this.link.noteError(err);
        }
        await this.link.sleep(this.o.idleMs ?? 200);
      }
    }
  }

  /** Loads payloads in order, ending the batch early once its images reach batchImageBytes. */
  private async load(read: OutboxEntry[]): Promise<{ loaded: Loaded; entries: OutboxEntry[] }> {
    const out: Loaded = {
      log: [],
      inspection: [],
      review: [],
      audit: [],
      model: [],
      imageSha: [],
      imageBytes: [],
    };
    const maxBytes = this.o.batchImageBytes ?? 16 * 1024 * 1024;
    let bytes = 0;
    let used = 0;
    for (const e of read) {
      if (bytes >= maxBytes) break;
      used++;
      out.log.push({ seq: e.seq, kind: e.kind, entity_id: e.entityId, queued_at: e.queuedAt });
      if (e.kind === 'image') {
        bytes += await this.loadImages(e.entityId, out);
        continue;
      }
      const row = this.loaders[e.kind](e.entityId) as Record<string, unknown> | undefined;
      if (row) out[e.kind].push(row);
    }
    return { loaded: out, entries: read.slice(0, used) };
  }

  private async loadImages(inspectionId: string, out: Loaded): Promise<number> {
    let total = 0;
    const refs = this.imageRefs(inspectionId);
    for (const ref of [refs?.image_ref, refs?.heatmap_ref]) {
      if (!ref || !ImageStore.isRef(ref)) continue;
      let bytes: Buffer;
      try {
        bytes = await fsp.readFile(join(this.o.imagesDir, ref));
      } catch {
        continue; // evicted by retention before it could ship: the row keeps its sha256
      }
      const sha = createHash('sha256').update(bytes).digest('hex');
      // A file that no longer matches its name is damaged; shipping it would spread the damage.
      if (!ref.includes(sha) || out.imageSha.includes(sha)) continue;
      out.imageSha.push(sha);
      out.imageBytes.push(bytes);
      total += bytes.byteLength;
    }
    return total;
  }

  private async write(client: Client, d: Loaded, entries: OutboxEntry[]): Promise<number> {
    const station = this.o.stationId;
    const first = entries[0];
    const last = entries[entries.length - 1];
    await client.query('BEGIN');
    try {
      await client.query('INSERT INTO stations (station_id) VALUES ($1) ON CONFLICT DO NOTHING', [station]);
      const head = await client.query<{ last_seq: string }>(
        'SELECT last_seq FROM stations WHERE station_id = $1 FOR UPDATE',
        [station],
      );
      const lastSeq = Number(head.rows[0].last_seq);
      if (first.seq > lastSeq + 1) {
        throw new Error(
          `Central database holds ${station} up to seq ${lastSeq} but the outbox starts at ${first.seq}: records are missing; refusing to leave a gap.`,
        );
      }
      if (first.seq <= lastSeq) await this.assertSameHistory(client, first);
      await client.query(
        `INSERT INTO replication_log (station_id, seq, kind, entity_id, queued_at)
         SELECT $1, r.seq, r.kind, r.entity_id, r.queued_at FROM jsonb_to_recordset($2::jsonb)
           AS r(seq BIGINT, kind TEXT, entity_id TEXT, queued_at TIMESTAMPTZ)
         ON CONFLICT DO NOTHING`,
        [station, JSON.stringify(d.log)],
      );
      if (d.inspection.length) {
        await client.query(
          `INSERT INTO inspections (station_id, id, at, source, frame_id, model_id, model_version, raw_score,
             norm_score, verdict, latency_ms, image_sha256, heatmap_sha256, store_error, shift, product,
             run_id, source_ref, image_ref, heatmap_ref)
           SELECT $1, r.* FROM jsonb_to_recordset($2::jsonb) AS r(id BIGINT, at TEXT,
             source TEXT, frame_id TEXT, model_id TEXT, model_version INTEGER, raw_score DOUBLE PRECISION,
             norm_score DOUBLE PRECISION, verdict TEXT, latency_ms DOUBLE PRECISION, image_sha256 TEXT,
             heatmap_sha256 TEXT, store_error TEXT, shift TEXT, product TEXT, run_id BIGINT, source_ref TEXT,
             image_ref TEXT, heatmap_ref TEXT)
           ON CONFLICT DO NOTHING`,
          [station, JSON.stringify(d.inspection)],
        );
      }
      if (d.review.length) {
        await client.query(
          `INSERT INTO review_decisions SELECT $1, r.* FROM jsonb_to_recordset($2::jsonb) AS r(id BIGINT,
             inspection_id BIGINT, decided_at TEXT, reviewer TEXT, decision TEXT, defect_type TEXT, reason TEXT)
           ON CONFLICT DO NOTHING`,
          [station, JSON.stringify(d.review)],
        );
      }
      if (d.audit.length) {
        await client.query(
          `INSERT INTO audit_trail SELECT $1, r.* FROM jsonb_to_recordset($2::jsonb) AS r(id BIGINT, at TEXT,
             actor TEXT, action TEXT, entity TEXT, old_value TEXT, new_value TEXT, reason TEXT,
             prev_hash TEXT, hash TEXT)
           ON CONFLICT DO NOTHING`,
          [station, JSON.stringify(d.audit)],
        );
      }
      if (d.model.length) {
        // A model row changes (activation, metadata); the newest state wins, in outbox order.
        for (const m of d.model) {
          await client.query(
            `INSERT INTO models VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (station_id, id) DO UPDATE SET version = EXCLUDED.version, method = EXCLUDED.method,
               backbone = EXCLUDED.backbone, fingerprint = EXCLUDED.fingerprint,
               metadata_json = EXCLUDED.metadata_json, created_at = EXCLUDED.created_at, active = EXCLUDED.active`,
            [
              station,
              m.id,
              m.version,
              m.method,
              m.backbone,
              m.fingerprint,
              m.metadata_json,
              m.created_at,
              m.active === 1,
            ],
          );
        }
      }
      if (d.imageSha.length) {
        await client.query(
          `INSERT INTO images (sha256, bytes) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING`,
          [d.imageSha, d.imageBytes],
        );
      }
      // Checkpoints and sealed batches ride along in the same transaction (not in the outbox: the
      // station keeps them forever, so "everything after what the centre holds" is always there).
      await this.chains.ship(client);
      const newLast = Math.max(lastSeq, last.seq);
      await client.query('UPDATE stations SET last_seq = $2, last_seen = now() WHERE station_id = $1', [
        station,
        newLast,
      ]);
      await this.o.hooks?.beforeCommit?.(entries.map((e) => e.seq));
      await client.query('COMMIT');
      return last.seq;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Seqs the central side already holds are a redelivery only if they name the same records; a
   * station database rebuilt from scratch under an old id would otherwise be silently discarded.
   */
  private async assertSameHistory(client: Client, e: OutboxEntry): Promise<void> {
    const r = await client.query<{ kind: string; entity_id: string }>(
      'SELECT kind, entity_id FROM replication_log WHERE station_id = $1 AND seq = $2',
      [this.o.stationId, e.seq],
    );
    const held = r.rows[0];
    if (held && (held.kind !== e.kind || held.entity_id !== e.entityId)) {
      throw new Error(
        `Central database already holds a different record at ${this.o.stationId} seq ${e.seq} (${held.kind} ${held.entity_id}, station has ${e.kind} ${e.entityId}): this station's database was replaced; give it a new station id.`,
      );
    }
  }
}
