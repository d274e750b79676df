// The central database as the fleet server reads and writes it: the review queue across
// stations, per-line yield, images, and review decisions made centrally (which the stations pull
// and apply, see decision-link.ts). Transport-free; the fleet server's handlers sit on top.
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type {
  CentralDecisionDto,
  FleetFilter,
  FleetInspectionDetail,
  FleetInspectionDto,
  FleetInspectionPage,
  FleetOverview,
  FleetYieldRow,
  ReviewDecisionDto,
} from '@shared/api';
import { DomainError } from '../util/errors';
import { CENTRAL_SCHEMA_VERSION, migrateCentral } from './central-schema';
import {
  verifyCentralAuditChain,
  verifyCentralRecords,
  type ChainVerdict,
  type RecordsVerdict,
} from './central-verify';

export interface FleetCursor {
  at: string;
  id: number;
}

export interface NewCentralDecision {
  id: number;
  reviewer: string;
  decision: 'defect_confirmed' | 'false_alarm';
  defectType?: string | null;
  reason?: string | null;
  change?: { reason: string } | null;
}

const INSPECTION_COLUMNS = `i.gid, i.station_id, i.id, i.at, i.source, i.frame_id, i.model_id, i.model_version,
  i.raw_score, i.norm_score, i.verdict, i.latency_ms, i.image_sha256, i.heatmap_sha256, i.store_error, i.shift,
  i.product, i.run_id, i.source_ref`;

/** Newest station decision and newest not-yet-applied central decision of each row. */
const DECISION_JOINS = `
  LEFT JOIN LATERAL (SELECT r.decision, r.defect_type, r.reviewer, r.decided_at, r.reason FROM review_decisions r
    WHERE r.station_id = i.station_id AND r.inspection_id = i.id ORDER BY r.id DESC LIMIT 1) rd ON true
  LEFT JOIN LATERAL (SELECT c.decision, c.reviewer, c.decided_at, c.apply_error FROM central_decisions c
    WHERE c.station_id = i.station_id AND c.inspection_id = i.id AND c.applied_at IS NULL
    ORDER BY c.id DESC LIMIT 1) cd ON true`;

export class CentralStore {
  private constructor(
    private readonly pool: Pool,
    /** Where the store reads from, with the password hidden (for the UI). */
    readonly database: string,
  ) {}

  /** Connects and brings the schema up to date (the fleet server may start before any station). */
  static async open(config: PoolConfig & { connectionString: string }): Promise<CentralStore> {
    const pool = new Pool({ max: 8, connectionTimeoutMillis: 5000, query_timeout: 60_000, ...config });
    // An idle client whose server went away emits here; the pool replaces it on the next query.
    pool.on('error', () => undefined);
    const client = await pool.connect();
    try {
      await migrateCentral(client);
    } catch (err) {
      client.release();
      await pool.end();
      throw err;
    }
    client.release();
    return new CentralStore(pool, redactUrl(config.connectionString));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async overview(): Promise<FleetOverview> {
    const stations = await this.pool.query<{
      station_id: string;
      last_seq: string;
      last_seen: Date | null;
      pending: string;
    }>(
      `SELECT s.station_id, s.last_seq, s.last_seen,
         (SELECT count(*) FROM central_decisions c WHERE c.station_id = s.station_id AND c.applied_at IS NULL)
           AS pending
       FROM stations s ORDER BY s.station_id`,
    );
    // The hourly summary is small; scanning it beats a DISTINCT over millions of inspections.
    const products = await this.pool.query<{ product: string }>(
      `SELECT DISTINCT product FROM yield_hourly WHERE product <> '' ORDER BY product`,
    );
    return {
      stations: stations.rows.map((r) => ({
        stationId: r.station_id,
        lastSeq: Number(r.last_seq),
        lastSeen: r.last_seen ? r.last_seen.toISOString() : null,
        pendingDecisions: Number(r.pending),
      })),
      products: products.rows.map((r) => r.product),
      schemaVersion: CENTRAL_SCHEMA_VERSION,
      database: this.database,
    };
  }

  /** Newest first, keyset-paged on (at, central id). */
  async list(
    filter: FleetFilter,
    after: FleetCursor | undefined,
    limit: number,
  ): Promise<FleetInspectionPage> {
    const rows = await this.page(filter, after, limit);
    const last = rows[rows.length - 1];
    return { rows, next: rows.length === limit && last ? { at: last.at, id: last.id } : null };
  }

  async page(
    filter: FleetFilter,
    after: FleetCursor | undefined,
    limit: number,
  ): Promise<FleetInspectionDto[]> {
    const q = where(filter);
    if (after) {
      q.params.push(after.at, after.id);
      q.conds.push(`(i.at, i.gid) < ($${q.params.length - 1}, $${q.params.length})`);
    }
    q.params.push(limit);
    // The page is cut first and the decisions joined to its rows only: joined before the LIMIT,
    // a sorted plan would look up decisions for every matching row (seconds over a million).
    const res = await this.pool.query(
      `SELECT ${INSPECTION_COLUMNS}, rd.decision AS r_decision, rd.defect_type AS r_defect_type,
         rd.reviewer AS r_reviewer, rd.decided_at AS r_decided_at, rd.reason AS r_reason,
         cd.decision AS p_decision, cd.reviewer AS p_reviewer, cd.decided_at AS p_decided_at,
         cd.apply_error AS p_error
       FROM (SELECT * FROM inspections i ${q.conds.length ? `WHERE ${q.conds.join(' AND ')}` : ''}
             ORDER BY i.at DESC, i.gid DESC LIMIT $${q.params.length}) i
       ${DECISION_JOINS}
       ORDER BY i.at DESC, i.gid DESC`,
      q.params,
    );
    return res.rows.map(toDto);
  }

  async get(id: number): Promise<FleetInspectionDetail> {
    // One snapshot: the row's latest review and the decision lists come from separate queries,
    // and a decision replicated between them would show the part both decided and undecided.
    return this.snapshot((c) => this.detailIn(c, id));
  }

  private async detailIn(c: PoolClient, id: number): Promise<FleetInspectionDetail> {
    const res = await c.query(
      `SELECT ${INSPECTION_COLUMNS}, rd.decision AS r_decision, rd.defect_type AS r_defect_type,
         rd.reviewer AS r_reviewer, rd.decided_at AS r_decided_at, rd.reason AS r_reason,
         cd.decision AS p_decision, cd.reviewer AS p_reviewer, cd.decided_at AS p_decided_at,
         cd.apply_error AS p_error
       FROM inspections i ${DECISION_JOINS} WHERE i.gid = $1`,
      [id],
    );
    if (res.rows.length === 0)
      throw new DomainError('not_found', `Inspection ${id} is not in the central database.`);
    const inspection = toDto(res.rows[0]);
    // Sequential: a client runs one query at a time anyway.
    const station = await c.query(
      `SELECT id, inspection_id, decided_at, reviewer, decision, defect_type, reason FROM review_decisions
       WHERE station_id = $1 AND inspection_id = $2 ORDER BY id`,
      [inspection.stationId, inspection.stationInspectionId],
    );
    const central = await c.query(
      `SELECT * FROM central_decisions WHERE station_id = $1 AND inspection_id = $2 ORDER BY id`,
      [inspection.stationId, inspection.stationInspectionId],
    );
    return {
      inspection,
      stationDecisions: station.rows.map((r): ReviewDecisionDto => ({
        id: Number(r.id),
        inspectionId: Number(r.inspection_id),
        decidedAt: r.decided_at,
        reviewer: r.reviewer,
        decision: r.decision,
        defectType: r.defect_type,
        reason: r.reason,
      })),
      centralDecisions: central.rows.map(toDecisionDto),
    };
  }

  /**
   * Records a decision for its station to apply. Like the station's own review path, a part is
   * decided once: a second decision (station's or central) must say it changes the first, and why.
   */
  async decide(d: NewCentralDecision): Promise<CentralDecisionDto> {
    return this.tx(async (c) => {
      const found = await c.query<{ station_id: string; id: string; verdict: string }>(
        'SELECT station_id, id, verdict FROM inspections WHERE gid = $1',
        [d.id],
      );
      const row = found.rows[0];
      if (!row) throw new DomainError('not_found', `Inspection ${d.id} is not in the central database.`);
      if (row.verdict === 'PASS') {
        throw new DomainError(
          'invalid',
          `Inspection ${d.id} passed; only FAIL and REVIEW parts are reviewed.`,
        );
      }
      // The station row's lock orders this station's decisions: seq order is commit order.
      await c.query('SELECT 1 FROM stations WHERE station_id = $1 FOR UPDATE', [row.station_id]);
      const earlier = await c.query<{ reviewer: string; decision: string; at: string; where: string }>(
        `SELECT reviewer, decision, decided_at AS at, 'station' AS where FROM review_decisions
           WHERE station_id = $1 AND inspection_id = $2
         UNION ALL
         SELECT reviewer, decision, to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'fleet server' FROM central_decisions
           WHERE station_id = $1 AND inspection_id = $2 AND apply_error IS NULL
         ORDER BY 3 DESC LIMIT 1`,
        [row.station_id, row.id],
      );
      const last = earlier.rows[0];
      if (last && !d.change) {
        throw new DomainError(
          'conflict',
          `Inspection ${d.id} was already decided (${last.decision.replace('_', ' ')} by ${last.reviewer} on the ${last.where} at ${last.at}); use "Change decision" with a reason to change it.`,
        );
      }
      if (!last && d.change) {
        throw new DomainError('invalid', `Inspection ${d.id} has no decision to change yet.`);
      }
      const ins = await c.query(
        `INSERT INTO central_decisions (station_id, seq, inspection_id, reviewer, decision, defect_type, reason,
           change_reason)
         SELECT $1, COALESCE(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM central_decisions WHERE station_id = $1
         RETURNING *`,
        [
          row.station_id,
          row.id,
          d.reviewer,
          d.decision,
          d.decision === 'defect_confirmed' ? (d.defectType ?? null) : null,
          d.reason ? d.reason : null,
          d.change?.reason ?? null,
        ],
      );
      return toDecisionDto(ins.rows[0]);
    });
  }

  /**
   * Yield per station. A filter of only station, product and whole-hour bounds reads the hourly
   * summary (a few rows per station and hour); any other filter counts the matching inspections.
   */
  async yieldByStation(filter: FleetFilter): Promise<FleetYieldRow[]> {
    const hourly =
      filter.verdicts === undefined &&
      filter.modelId === undefined &&
      filter.minScore === undefined &&
      filter.maxScore === undefined &&
      filter.reviewed === undefined &&
      (filter.from === undefined || onHour(filter.from)) &&
      (filter.to === undefined || onHour(filter.to));
    let res;
    if (hourly) {
      const params: unknown[] = [];
      const conds: string[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        conds.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.stationId) add('station_id = ?', filter.stationId);
      if (filter.product) add('product = ?', filter.product);
      if (filter.from) add('hour >= ?', filter.from.slice(0, 13));
      if (filter.to) add('hour < ?', filter.to.slice(0, 13));
      res = await this.pool.query(
        `SELECT station_id, sum(n) AS total, sum(n) FILTER (WHERE verdict = 'PASS') AS pass,
           sum(n) FILTER (WHERE verdict = 'REVIEW') AS review, sum(n) FILTER (WHERE verdict = 'FAIL') AS fail,
           min(hour) || ':00:00.000Z' AS first_at, max(hour) || ':59:59.999Z' AS last_at
         FROM yield_hourly ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
         GROUP BY station_id ORDER BY station_id`,
        params,
      );
    } else {
      const q = where(filter);
      res = await this.pool.query(
        `SELECT i.station_id, count(*) AS total, count(*) FILTER (WHERE i.verdict = 'PASS') AS pass,
           count(*) FILTER (WHERE i.verdict = 'REVIEW') AS review,
           count(*) FILTER (WHERE i.verdict = 'FAIL') AS fail, min(i.at) AS first_at, max(i.at) AS last_at
         FROM inspections i ${q.conds.length ? `WHERE ${q.conds.join(' AND ')}` : ''}
         GROUP BY i.station_id ORDER BY i.station_id`,
        q.params,
      );
    }
    return res.rows.map((r) => {
      const total = Number(r.total);
      const pass = Number(r.pass ?? 0);
      return {
        stationId: r.station_id,
        total,
        pass,
        review: Number(r.review ?? 0),
        fail: Number(r.fail ?? 0),
        yield: total > 0 ? pass / total : null,
        firstAt: r.first_at,
        lastAt: r.last_at,
      };
    });
  }

  /** Stored image bytes by SHA-256 (the central image ref). */
  async image(sha256: string): Promise<Buffer | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new DomainError('invalid', 'An image ref is a SHA-256 (64 hex digits).');
    const res = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM images WHERE sha256 = $1', [
      sha256,
    ]);
    return res.rows[0]?.bytes ?? null;
  }

  async verify(stationId: string): Promise<{ audit: ChainVerdict; records: RecordsVerdict }> {
    // One snapshot for both checks, so rows arriving meanwhile cannot look like a mismatch.
    return this.snapshot(async (client) => ({
      audit: await verifyCentralAuditChain(client, stationId),
      records: await verifyCentralRecords(client, stationId),
    }));
  }

  /** Reads that must agree with each other, from one read-only snapshot of the database. */
  private snapshot<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.tx(work, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /** Size facts for the fleet server's system info. */
  async sizes(): Promise<{ databaseBytes: number; imageBytes: number }> {
    const r = await this.pool.query<{ db: string; img: string }>(
      `SELECT pg_database_size(current_database()) AS db, pg_total_relation_size('images') AS img`,
    );
    return { databaseBytes: Number(r.rows[0].db), imageBytes: Number(r.rows[0].img) };
  }

  private async tx<T>(work: (c: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query(begin);
      const out = await work(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}

/** SQL conditions for a filter. Verdicts are a closed enum, so they are written as literals: the
 *  planner can then see that a queue without PASS matches the partial "flagged" indexes. */
function where(f: FleetFilter): { conds: string[]; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    conds.push(sql.replace('?', `$${params.length}`));
  };
  if (f.verdicts) {
    const v = new Set(f.verdicts);
    // The queue (FAIL + REVIEW) is exactly the partial indexes' predicate; written once, so the
    // planner does not count the same condition twice and misjudge how many rows match.
    if (v.size === 2 && !v.has('PASS')) conds.push(`i.verdict <> 'PASS'`);
    else if (v.size < 3) {
      conds.push(`i.verdict IN (${[...v].map((x) => `'${x}'`).join(', ')})`);
      if (!v.has('PASS')) conds.push(`i.verdict <> 'PASS'`);
    }
  }
  if (f.stationId) add('i.station_id = ?', f.stationId);
  if (f.product) add('i.product = ?', f.product);
  if (f.modelId) add('i.model_id = ?', f.modelId);
  if (f.from) add('i.at >= ?', f.from);
  if (f.to) add('i.at < ?', f.to);
  if (f.minScore !== undefined) add('i.norm_score >= ?', f.minScore);
  if (f.maxScore !== undefined) add('i.norm_score <= ?', f.maxScore);
  if (f.reviewed !== undefined) {
    const atStation = `EXISTS (SELECT 1 FROM review_decisions r WHERE r.station_id = i.station_id
        AND r.inspection_id = i.id)`;
    const here = `EXISTS (SELECT 1 FROM central_decisions c WHERE c.station_id = i.station_id
        AND c.inspection_id = i.id)`;
    // "Open" as two NOT EXISTS: each becomes an index anti-join that stops with the page, where
    // NOT (a OR b) would hash every decision ever made on each request.
    conds.push(f.reviewed ? `(${atStation} OR ${here})` : `NOT ${atStation} AND NOT ${here}`);
  }
  return { conds, params };
}

function onHour(iso: string): boolean {
  return /T\d\d:00:00(\.000)?Z$/.test(iso);
}

function toDto(r: Record<string, unknown>): FleetInspectionDto {
  return {
    id: Number(r.gid),
    stationId: r.station_id as string,
    stationInspectionId: Number(r.id),
    at: r.at as string,
    source: r.source as string,
    frameId: (r.frame_id as string | null) ?? null,
    modelId: r.model_id as string,
    modelVersion: Number(r.model_version),
    rawScore: Number(r.raw_score),
    normScore: Number(r.norm_score),
    verdict: r.verdict as FleetInspectionDto['verdict'],
    latencyMs: Number(r.latency_ms),
    // Centrally an image is named by its content hash; the server serves it at /api/images/<sha256>.
    imageRef: (r.image_sha256 as string | null) ?? null,
    heatmapRef: (r.heatmap_sha256 as string | null) ?? null,
    heatmapFit: null,
    storeError: (r.store_error as string | null) ?? null,
    evictedAt: null,
    shift: (r.shift as string | null) ?? null,
    productId: (r.product as string | null) ?? null,
    runId: r.run_id === null || r.run_id === undefined ? null : Number(r.run_id),
    sourceRef: (r.source_ref as string | null) ?? null,
    review: r.r_decision
      ? {
          decision: r.r_decision as ReviewDecisionDto['decision'],
          defectType: (r.r_defect_type as string | null) ?? null,
          reviewer: r.r_reviewer as string,
          decidedAt: r.r_decided_at as string,
          reason: (r.r_reason as string | null) ?? null,
        }
      : null,
    pending: r.p_decision
      ? {
          decision: r.p_decision as ReviewDecisionDto['decision'],
          reviewer: r.p_reviewer as string,
          decidedAt: (r.p_decided_at as Date).toISOString(),
          applyError: (r.p_error as string | null) ?? null,
        }
      : null,
  };
}

function toDecisionDto(r: Record<string, unknown>): CentralDecisionDto {
  return {
    id: Number(r.id),
    stationId: r.station_id as string,
    inspectionId: Number(r.inspection_id),
    decidedAt: (r.decided_at as Date).toISOString(),
    reviewer: r.reviewer as string,
    decision: r.decision as CentralDecisionDto['decision'],
    defectType: (r.defect_type as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    changeReason: (r.change_reason as string | null) ?? null,
    appliedAt: r.applied_at ? (r.applied_at as Date).toISOString() : null,
    stationReviewId: r.station_review_id === null ? null : Number(r.station_review_id),
    applyError: (r.apply_error as string | null) ?? null,
  };
}

/** postgres://user:secret@host/db → postgres://user:•••@host/db */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1•••@');
}
