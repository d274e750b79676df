// Schema of the central PostgreSQL database that stations replicate into. Append only, like
// the station's own migrations: a released step is never edited.
import type { ClientBase } from 'pg';

interface CentralMigration {
  version: number;
  name: string;
  sql: string;
}

const CENTRAL_MIGRATIONS: readonly CentralMigration[] = [
  {
    version: 1,
    name: 'stations, replicated records, images',
    sql: `
      CREATE TABLE stations (
        station_id  TEXT PRIMARY KEY,
        last_seq    BIGINT NOT NULL DEFAULT 0,
        last_seen   TIMESTAMPTZ
      );
      -- One row per outbox entry: (station_id, seq) makes a redelivered batch a no-op.
      CREATE TABLE replication_log (
        station_id  TEXT   NOT NULL REFERENCES stations (station_id),
        seq         BIGINT NOT NULL,
        kind        TEXT   NOT NULL,
        entity_id   TEXT   NOT NULL,
        queued_at   TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (station_id, seq)
      );
      CREATE TABLE inspections (
        station_id     TEXT   NOT NULL,
        id             BIGINT NOT NULL,
        at             TEXT   NOT NULL,
        source         TEXT   NOT NULL,
        frame_id       TEXT,
        model_id       TEXT   NOT NULL,
        model_version  INTEGER NOT NULL,
        raw_score      DOUBLE PRECISION NOT NULL,
        norm_score     DOUBLE PRECISION NOT NULL,
        verdict        TEXT   NOT NULL,
        latency_ms     DOUBLE PRECISION NOT NULL,
        image_sha256   TEXT,
        heatmap_sha256 TEXT,
        store_error    TEXT,
        shift          TEXT,
        PRIMARY KEY (station_id, id)
      );
      CREATE INDEX inspections_verdict_at ON inspections (verdict, at);
      CREATE TABLE review_decisions (
        station_id    TEXT   NOT NULL,
        id            BIGINT NOT NULL,
        inspection_id BIGINT NOT NULL,
        decided_at    TEXT   NOT NULL,
        reviewer      TEXT   NOT NULL,
        decision      TEXT   NOT NULL,
        defect_type   TEXT,
        reason        TEXT,
        PRIMARY KEY (station_id, id)
      );
      -- Station audit rows exactly as hashed on the station, so the chain re-verifies here.
      CREATE TABLE audit_trail (
        station_id TEXT   NOT NULL,
        id         BIGINT NOT NULL,
        at         TEXT   NOT NULL,
        actor      TEXT   NOT NULL,
        action     TEXT   NOT NULL,
        entity     TEXT   NOT NULL,
        old_value  TEXT,
        new_value  TEXT,
        reason     TEXT,
        prev_hash  TEXT   NOT NULL,
        hash       TEXT   NOT NULL,
        PRIMARY KEY (station_id, id)
      );
      CREATE TABLE models (
        station_id    TEXT    NOT NULL,
        id            TEXT    NOT NULL,
        version       INTEGER NOT NULL,
        method        TEXT    NOT NULL,
        backbone      TEXT,
        fingerprint   TEXT,
        metadata_json TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        active        BOOLEAN NOT NULL,
        PRIMARY KEY (station_id, id)
      );
      -- Content-addressed: the same picture from two stations is stored once.
      CREATE TABLE images (
        sha256 TEXT  PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        bytes  BYTEA NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'central review: global ids, product, queue indexes, decisions, checkpoints',
    sql: `
      -- One id per inspection across stations, so the review UI can name a part with one number.
      ALTER TABLE inspections ADD COLUMN gid BIGINT GENERATED ALWAYS AS IDENTITY;
      CREATE UNIQUE INDEX inspections_gid ON inspections (gid);
      -- Traceability (station schema v5): product id, run, the source's own frame name. Nullable:
      -- older stations send none.
      ALTER TABLE inspections ADD COLUMN product TEXT;
      ALTER TABLE inspections ADD COLUMN run_id BIGINT;
      ALTER TABLE inspections ADD COLUMN source_ref TEXT;
      -- Kept so the station's sealed leaf hash can be recomputed here (refs are part of it).
      ALTER TABLE inspections ADD COLUMN image_ref TEXT;
      ALTER TABLE inspections ADD COLUMN heatmap_ref TEXT;
      -- Newest-first keyset pages (read backwards) of the queue and of the export, whole fleet or
      -- one station / product.
      CREATE INDEX inspections_flagged_at ON inspections (at, gid) WHERE verdict <> 'PASS';
      CREATE INDEX inspections_station_flagged_at ON inspections (station_id, at, gid)
        WHERE verdict <> 'PASS';
      CREATE INDEX inspections_product_flagged_at ON inspections (product, at, gid)
        WHERE verdict <> 'PASS';
      CREATE INDEX inspections_station_product_flagged_at ON inspections (station_id, product, at, gid)
        WHERE verdict <> 'PASS';
      CREATE INDEX inspections_at_gid ON inspections (at, gid);
      CREATE INDEX inspections_station_at_gid ON inspections (station_id, at, gid);
      CREATE INDEX review_decisions_inspection ON review_decisions (station_id, inspection_id, id);

      -- Per-line yield without counting millions of rows per request: verdict counts per station,
      -- product and UTC hour, kept by a statement trigger over each replicated batch.
      CREATE TABLE yield_hourly (
        station_id TEXT   NOT NULL,
        product    TEXT   NOT NULL DEFAULT '',
        hour       TEXT   NOT NULL,
        verdict    TEXT   NOT NULL,
        n          BIGINT NOT NULL,
        PRIMARY KEY (station_id, hour, product, verdict)
      );
      INSERT INTO yield_hourly (station_id, product, hour, verdict, n)
        SELECT station_id, COALESCE(product, ''), left(at, 13), verdict, count(*) FROM inspections
        GROUP BY 1, 2, 3, 4;
      CREATE FUNCTION yield_hourly_add() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO yield_hourly (station_id, product, hour, verdict, n)
          SELECT station_id, COALESCE(product, ''), left(at, 13), verdict, count(*) FROM new_rows
          GROUP BY 1, 2, 3, 4
        ON CONFLICT (station_id, hour, product, verdict) DO UPDATE SET n = yield_hourly.n + EXCLUDED.n;
        RETURN NULL;
      END $$;
      CREATE TRIGGER inspections_yield_hourly AFTER INSERT ON inspections
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION yield_hourly_add();

      -- Decisions made on the fleet server, waiting to be applied at their station. seq counts per
      -- station in commit order (allocated under the station row's lock), so a station that has
      -- applied up to seq N needs exactly the rows after N.
      CREATE TABLE central_decisions (
        id             BIGSERIAL PRIMARY KEY,
        station_id     TEXT    NOT NULL REFERENCES stations (station_id),
        seq            BIGINT  NOT NULL,
        inspection_id  BIGINT  NOT NULL,
        decided_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        reviewer       TEXT    NOT NULL,
        decision       TEXT    NOT NULL CHECK (decision IN ('defect_confirmed','false_alarm')),
        defect_type    TEXT,
        reason         TEXT,
        change_reason  TEXT,
        applied_at     TIMESTAMPTZ,
        station_review_id BIGINT,
        apply_error    TEXT,
        UNIQUE (station_id, seq)
      );
      CREATE INDEX central_decisions_inspection ON central_decisions (station_id, inspection_id);

      -- Signed checkpoints and sealed inspection batches, as the station holds them, so both
      -- chains and the signatures verify here without the station.
      ALTER TABLE stations ADD COLUMN public_key TEXT;
      ALTER TABLE stations ADD COLUMN key_id TEXT;
      CREATE TABLE station_checkpoints (
        station_id TEXT   NOT NULL,
        seq        BIGINT NOT NULL,
        at         TEXT   NOT NULL,
        statement  TEXT   NOT NULL,
        signature  TEXT   NOT NULL,
        PRIMARY KEY (station_id, seq)
      );
      CREATE TABLE record_batches (
        station_id  TEXT    NOT NULL,
        seq         BIGINT  NOT NULL,
        at          TEXT    NOT NULL,
        first_id    BIGINT  NOT NULL,
        last_id     BIGINT  NOT NULL,
        row_count   INTEGER NOT NULL,
        rows_from   TEXT,
        rows_to     TEXT,
        leaves      BYTEA   NOT NULL,
        merkle_root TEXT    NOT NULL,
        prev_hash   TEXT    NOT NULL,
        hash        TEXT    NOT NULL,
        PRIMARY KEY (station_id, seq)
      );
    `,
  },
];

export const CENTRAL_SCHEMA_VERSION = CENTRAL_MIGRATIONS[CENTRAL_MIGRATIONS.length - 1].version;

/** Brings the central schema up to date; safe to run from several stations at once. */
export async function migrateCentral(client: ClientBase): Promise<number> {
  await client.query('BEGIN');
  try {
    // Stations start together after an install; the lock serialises their migrations.
    await client.query('SELECT pg_advisory_xact_lock(727021)');
    await client.query(`CREATE TABLE IF NOT EXISTS fleet_schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const res = await client.query<{ v: number | null }>(
      'SELECT MAX(version) AS v FROM fleet_schema_migrations',
    );
    const current = res.rows[0]?.v ?? 0;
    if (current > CENTRAL_SCHEMA_VERSION) {
      throw new Error(
        `Central database has schema version ${current}; this station knows up to ${CENTRAL_SCHEMA_VERSION}. Upgrade the station.`,
      );
    }
    for (const m of CENTRAL_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO fleet_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    await client.query('COMMIT');
    return CENTRAL_SCHEMA_VERSION;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
