// Ordered schema migrations. Append only: a released migration is never edited, because
// stations in the field already ran it; fix mistakes with a new version.
import type { Database } from 'better-sqlite3';
import { SEALED_COLUMNS_V1, type SealedInspection } from './record-hash';
import { RecordSealer } from './record-batches';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

const GENESIS_HASH = '0'.repeat(64);

const v1: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE inspections (
        id             INTEGER PRIMARY KEY,
        at             TEXT    NOT NULL,
        source         TEXT    NOT NULL,
        frame_id       TEXT,
        model_id       TEXT    NOT NULL,
        model_version  INTEGER NOT NULL,
        raw_score      REAL    NOT NULL,
        norm_score     REAL    NOT NULL,
        verdict        TEXT    NOT NULL CHECK (verdict IN ('PASS','REVIEW','FAIL')),
        latency_ms     REAL    NOT NULL,
        image_ref      TEXT,
        image_sha256   TEXT,
        heatmap_ref    TEXT,
        heatmap_sha256 TEXT,
        store_error    TEXT
      );
      CREATE INDEX inspections_at_id      ON inspections (at, id);
      CREATE INDEX inspections_verdict_id ON inspections (verdict, id);
      CREATE INDEX inspections_model_id   ON inspections (model_id, id);
      CREATE INDEX inspections_norm_score ON inspections (norm_score);

      CREATE TABLE models (
        id            TEXT    PRIMARY KEY,
        version       INTEGER NOT NULL,
        method        TEXT    NOT NULL,
        backbone      TEXT,
        path          TEXT    NOT NULL,
        fingerprint   TEXT,
        metadata_json TEXT    NOT NULL DEFAULT '{}',
        created_at    TEXT    NOT NULL,
        active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
      );

      CREATE TABLE review_decisions (
        id            INTEGER PRIMARY KEY,
        inspection_id INTEGER NOT NULL REFERENCES inspections (id),
        decided_at    TEXT    NOT NULL,
        reviewer      TEXT    NOT NULL,
        decision      TEXT    NOT NULL CHECK (decision IN ('defect_confirmed','false_alarm')),
        defect_type   TEXT,
        reason        TEXT
      );
      CREATE INDEX review_decisions_inspection ON review_decisions (inspection_id);

      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value_json TEXT NOT NULL
      );

      CREATE TABLE audit_trail (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        entity    TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        reason    TEXT,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      );

      -- The chain alone cannot reveal a truncated tail; the head row remembers where it ended.
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        last_id   INTEGER NOT NULL,
        last_hash TEXT    NOT NULL
      );
      INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, 0, '${GENESIS_HASH}');

      CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
      BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only: UPDATE refused'); END;
      CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
      BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only: DELETE refused'); END;
      CREATE TRIGGER audit_trail_append_only BEFORE INSERT ON audit_trail
      WHEN NEW.id IS NOT (SELECT last_id + 1 FROM audit_head)
        OR NEW.prev_hash IS NOT (SELECT last_hash FROM audit_head)
      BEGIN SELECT RAISE(ABORT, 'audit_trail insert must extend the chain head'); END;
      CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
      BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
      CREATE TRIGGER audit_head_follows_chain BEFORE UPDATE ON audit_head
      WHEN NEW.last_id IS NOT OLD.last_id + 1
        OR NEW.last_hash IS NOT (SELECT hash FROM audit_trail WHERE id = NEW.last_id)
      BEGIN SELECT RAISE(ABORT, 'audit_head may only advance to the newest audit row'); END;
    `);
  },
};

const v2: Migration = {
  version: 2,
  name: 'shift, image eviction tracking, filtered paging indexes',
  up(db) {
    // History pages newest-first by (at, id) under a verdict or model filter; these indexes
    // deliver rows in that order so a page reads ~limit rows instead of sorting every match.
    db.exec(`
      CREATE INDEX inspections_verdict_at_id ON inspections (verdict, at, id);
      CREATE INDEX inspections_model_at_id   ON inspections (model_id, at, id);
    `);
    // Eviction must find every row that shares a content-addressed file before deleting it,
    // hence the ref indexes; evicted_at keeps the sha256 as provenance after the file is gone.
    db.exec(`
      ALTER TABLE inspections ADD COLUMN shift TEXT;
      ALTER TABLE inspections ADD COLUMN evicted_at TEXT;
      CREATE INDEX inspections_image_ref   ON inspections (image_ref)   WHERE image_ref IS NOT NULL;
      CREATE INDEX inspections_heatmap_ref ON inspections (heatmap_ref) WHERE heatmap_ref IS NOT NULL;
      CREATE INDEX inspections_pass_evictable ON inspections (at, id)
        WHERE verdict = 'PASS' AND evicted_at IS NULL AND (image_ref IS NOT NULL OR heatmap_ref IS NOT NULL);
    `);
  },
};

const v3: Migration = {
  version: 3,
  name: 'sealed inspection batches and signed checkpoints',
  up(db) {
    db.exec(`
      CREATE TABLE record_batches (
        seq         INTEGER PRIMARY KEY,
        at          TEXT    NOT NULL,
        first_id    INTEGER NOT NULL,
        last_id     INTEGER NOT NULL,
        row_count   INTEGER NOT NULL,
        rows_from   TEXT,
        rows_to     TEXT,
        leaves      BLOB    NOT NULL,
        merkle_root TEXT    NOT NULL,
        prev_hash   TEXT    NOT NULL,
        hash        TEXT    NOT NULL
      );
      CREATE INDEX record_batches_range ON record_batches (first_id, last_id);
      CREATE TABLE record_head (
        singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
        last_seq           INTEGER NOT NULL,
        last_hash          TEXT    NOT NULL,
        last_inspection_id INTEGER NOT NULL
      );
      INSERT INTO record_head (singleton, last_seq, last_hash, last_inspection_id)
        VALUES (1, 0, '${GENESIS_HASH}', 0);

      -- Signed statements of both chain heads. checkpoint_latest is replaced in every write
      -- transaction; checkpoints keeps a history (each audit row, and at most a minute apart for
      -- inspections) so a rewritten chain can be located, not only detected.
      CREATE TABLE checkpoints (
        seq        INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        statement  TEXT NOT NULL,
        signature  TEXT NOT NULL
      );
      CREATE TABLE checkpoint_latest (
        singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
        at         TEXT NOT NULL,
        statement  TEXT NOT NULL,
        signature  TEXT NOT NULL
      );

      CREATE TRIGGER record_batches_no_update BEFORE UPDATE ON record_batches
      BEGIN SELECT RAISE(ABORT, 'record_batches is append-only: UPDATE refused'); END;
      CREATE TRIGGER record_batches_no_delete BEFORE DELETE ON record_batches
      BEGIN SELECT RAISE(ABORT, 'record_batches is append-only: DELETE refused'); END;
      CREATE TRIGGER record_batches_append_only BEFORE INSERT ON record_batches
      WHEN NEW.seq IS NOT (SELECT last_seq + 1 FROM record_head)
        OR NEW.prev_hash IS NOT (SELECT last_hash FROM record_head)
      BEGIN SELECT RAISE(ABORT, 'record_batches insert must extend the chain head'); END;
      CREATE TRIGGER record_head_no_delete BEFORE DELETE ON record_head
      BEGIN SELECT RAISE(ABORT, 'record_head cannot be deleted'); END;
      CREATE TRIGGER record_head_follows_chain BEFORE UPDATE ON record_head
      WHEN NEW.last_seq IS NOT OLD.last_seq + 1
        OR NEW.last_hash IS NOT (SELECT hash FROM record_batches WHERE seq = NEW.last_seq)
      BEGIN SELECT RAISE(ABORT, 'record_head may only advance to the newest batch'); END;
      CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
      BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused'); END;
      CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
      BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END;

      CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
      BEGIN SELECT RAISE(ABORT, 'inspections are sealed: DELETE refused'); END;
      CREATE TRIGGER inspections_sealed_columns BEFORE UPDATE OF id, at, source, frame_id, model_id,
        model_version, raw_score, norm_score, verdict, latency_ms, image_ref, image_sha256, heatmap_ref,
        heatmap_sha256, store_error, shift ON inspections
      BEGIN SELECT RAISE(ABORT, 'inspections are sealed: only evicted_at may change'); END;
    `);
    // Rows written before this version are sealed as they are now, in id order; the trail says so.
    const sealer = new RecordSealer(db);
    const at = new Date().toISOString();
    const read = db.prepare(
      `SELECT ${SEALED_COLUMNS_V1} FROM inspections WHERE id > ? ORDER BY id LIMIT 1000`,
    );
    let after = 0;
    for (;;) {
      const rows = read.all(after) as SealedInspection[];
      if (rows.length === 0) break;
      sealer.seal(rows, at);
      after = rows[rows.length - 1].id;
    }
  },
};

/**
 * Fleet outbox (issue 21). Every replicated record is queued by trigger, so it commits in the
 * same transaction as the row it names and no writer can forget it. Rows hold references only
 * (kind, entity id): the payload is read from its own table when shipped, so the outbox costs
 * tens of bytes per record rather than a second copy of the data. The cap bounds it further:
 * once `queued` reaches `cap`, new entries are refused (not the station's own writes) and
 * counted in `dropped`, which the station reports. Numbered 5 to follow the audit-chain (3) and
 * users/products (4) migrations developed alongside it; it depends on neither.
 */
export const fleetOutboxMigration: Migration = {
  version: 4,
  name: 'fleet replication outbox',
  up(db) {
    db.exec(`
      CREATE TABLE fleet_outbox (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        kind      TEXT    NOT NULL CHECK (kind IN ('inspection','review','audit','model','image')),
        entity_id TEXT    NOT NULL,
        queued_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE fleet_outbox_state (
        singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
        cap              INTEGER NOT NULL CHECK (cap > 0),
        queued           INTEGER NOT NULL DEFAULT 0,
        dropped          INTEGER NOT NULL DEFAULT 0,
        first_dropped_at TEXT
      );
      INSERT INTO fleet_outbox_state (singleton, cap) VALUES (1, 2000000);

      -- RAISE(IGNORE) abandons only the outbox insert: the station's own write still commits.
      CREATE TRIGGER fleet_outbox_cap BEFORE INSERT ON fleet_outbox
      WHEN (SELECT queued >= cap FROM fleet_outbox_state)
      BEGIN
        UPDATE fleet_outbox_state SET dropped = dropped + 1,
          first_dropped_at = COALESCE(first_dropped_at, NEW.queued_at);
        SELECT RAISE(IGNORE);
      END;
      CREATE TRIGGER fleet_outbox_count AFTER INSERT ON fleet_outbox
      BEGIN UPDATE fleet_outbox_state SET queued = queued + 1; END;
      CREATE TRIGGER fleet_outbox_uncount AFTER DELETE ON fleet_outbox
      BEGIN UPDATE fleet_outbox_state SET queued = queued - 1; END;

      CREATE TRIGGER fleet_queue_inspection AFTER INSERT ON inspections
      BEGIN
        INSERT INTO fleet_outbox (kind, entity_id) VALUES ('inspection', NEW.id);
        INSERT INTO fleet_outbox (kind, entity_id) SELECT 'image', NEW.id
          WHERE NEW.image_ref IS NOT NULL OR NEW.heatmap_ref IS NOT NULL;
      END;
      CREATE TRIGGER fleet_queue_review AFTER INSERT ON review_decisions
      BEGIN INSERT INTO fleet_outbox (kind, entity_id) VALUES ('review', NEW.id); END;
      CREATE TRIGGER fleet_queue_audit AFTER INSERT ON audit_trail
      BEGIN INSERT INTO fleet_outbox (kind, entity_id) VALUES ('audit', NEW.id); END;
      CREATE TRIGGER fleet_queue_model_insert AFTER INSERT ON models
      BEGIN INSERT INTO fleet_outbox (kind, entity_id) VALUES ('model', NEW.id); END;
      CREATE TRIGGER fleet_queue_model_update AFTER UPDATE ON models
      BEGIN INSERT INTO fleet_outbox (kind, entity_id) VALUES ('model', NEW.id); END;

      -- A station upgraded in the field ships its history too (within the cap).
      INSERT INTO fleet_outbox (kind, entity_id) SELECT 'model', id FROM models ORDER BY created_at, id;
      INSERT INTO fleet_outbox (kind, entity_id) SELECT 'audit', id FROM audit_trail ORDER BY id;
      INSERT INTO fleet_outbox (kind, entity_id)
        SELECT kind, entity_id FROM (
          SELECT 'inspection' AS kind, id AS entity_id, id AS k, 0 AS o FROM inspections
          UNION ALL
          SELECT 'image', id, id, 1 FROM inspections WHERE image_ref IS NOT NULL OR heatmap_ref IS NOT NULL
        ) ORDER BY k, o;
      INSERT INTO fleet_outbox (kind, entity_id) SELECT 'review', id FROM review_decisions ORDER BY id;
    `);
  },
};

/**
 * Products (recipes) and traceability (issue 19). A product names what the line makes and what it
 * runs for it: source, model, thresholds, outputs. product_deployments keeps every model deployed
 * for a product (with the mismatch warnings someone accepted), which is also what the next
 * deploy's training-set check compares against. A run is one start of the line; AUTOINCREMENT
 * keeps run ids distinct across restarts and never reuses one. Inspections gain product, run and
 * the source's own frame name (file name or stream time), all three sealed (record-hash.ts: the
 * v2 leaf form; rows without them keep the v1 form, so old seals still verify).
 */
const v5: Migration = {
  version: 5,
  name: 'products, runs and inspection traceability',
  up(db) {
    db.exec(`
      CREATE TABLE products (
        id           TEXT    PRIMARY KEY,
        name         TEXT    NOT NULL UNIQUE,
        source_json  TEXT,
        model_id     TEXT,
        t1           REAL,
        t2           REAL,
        outputs_json TEXT,
        notes        TEXT,
        created_at   TEXT    NOT NULL,
        updated_at   TEXT    NOT NULL,
        active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
        CHECK ((t1 IS NULL) = (t2 IS NULL)),
        CHECK (t1 IS NULL OR t1 <= t2)
      );
      CREATE UNIQUE INDEX products_single_active ON products (active) WHERE active = 1;

      CREATE TABLE product_deployments (
        id            INTEGER PRIMARY KEY,
        product_id    TEXT    NOT NULL REFERENCES products (id),
        model_id      TEXT    NOT NULL,
        deployed_at   TEXT    NOT NULL,
        deployed_by   TEXT    NOT NULL,
        warnings_json TEXT    NOT NULL DEFAULT '[]'
      );
      CREATE INDEX product_deployments_product ON product_deployments (product_id, id);

      CREATE TABLE runs (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT    NOT NULL,
        ended_at   TEXT,
        product_id TEXT,
        model_id   TEXT,
        source     TEXT    NOT NULL
      );

      ALTER TABLE inspections ADD COLUMN product_id TEXT;
      ALTER TABLE inspections ADD COLUMN run_id INTEGER;
      ALTER TABLE inspections ADD COLUMN source_ref TEXT;
      CREATE INDEX inspections_product_at_id ON inspections (product_id, at, id);
      CREATE INDEX inspections_run_id        ON inspections (run_id, id);

      DROP TRIGGER inspections_sealed_columns;
      CREATE TRIGGER inspections_sealed_columns BEFORE UPDATE OF id, at, source, frame_id, model_id,
        model_version, raw_score, norm_score, verdict, latency_ms, image_ref, image_sha256, heatmap_ref,
        heatmap_sha256, store_error, shift, product_id, run_id, source_ref ON inspections
      BEGIN SELECT RAISE(ABORT, 'inspections are sealed: only evicted_at may change'); END;
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, fleetOutboxMigration, v5];
