// Read side of the QA screens: filtered lists, histograms, what-if counts, yield over time, CSV
// and retraining candidates. Paging goes through InspectionRepository.page (keyset, no OFFSET);
// the aggregates are single GROUP BY queries so History stays fast over 100 000+ rows.
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type {
  CandidateExport,
  CandidatePage,
  CsvChunk,
  InspectionCursorDto,
  InspectionDto,
  InspectionListPage,
  ModelUsage,
  RetrainingCandidate,
  ReviewDecisionDto,
  ScoreHistogram,
  VerdictCounts,
  WhatIfResult,
  YieldBucketSize,
  YieldOverTime,
} from '@shared/inspections';
import type { HeatmapFit, Verdict } from '@shared/station';
import type { Db } from '../storage/database';
import type { ImageStore } from '../storage/image-store';
import {
  buildWhere,
  InspectionRepository,
  type InspectionFilter,
  type InspectionRow,
} from '../storage/inspections';

/** The repository's filter as one WHERE clause, for the aggregate queries of the QA screens. */
export function filterSql(f: InspectionFilter): { where: string; params: unknown[] } {
  const { where, params } = buildWhere(f);
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}

/** Bucket start as ISO text: `at` is stored as UTC toISOString(), so a prefix is the bucket. */
const BUCKET_PREFIX: Record<YieldBucketSize, { len: number; suffix: string; ms: number }> = {
  minute: { len: 16, suffix: ':00.000Z', ms: 60_000 },
  hour: { len: 13, suffix: ':00:00.000Z', ms: 3_600_000 },
  day: { len: 10, suffix: 'T00:00:00.000Z', ms: 86_400_000 },
};

export const CSV_COLUMNS = [
  'id',
  'at',
  'verdict',
  'norm_score',
  'raw_score',
  'model_id',
  'model_version',
  'latency_ms',
  'source',
  'frame_id',
  'reviewed',
  'review_decision',
  'defect_type',
  'reviewer',
  'image_sha256',
  'heatmap_sha256',
  'store_error',
  'review_reason',
  'reviewed_at',
  'product_id',
  'run_id',
  'source_ref',
] as const;

export class InspectionQueries {
  private readonly repo: InspectionRepository;
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(
    private readonly db: Db,
    private readonly images: Pick<ImageStore, 'get'>,
    /** <dataDir>/good-candidates: where false alarms are copied for the next training set. */
    readonly candidatesDir: string,
    /** The model package's preprocessing, by model id (cached by the caller). */
    private readonly fitOf: (modelId: string) => HeatmapFit | null = () => null,
  ) {
    this.repo = new InspectionRepository(db);
  }

  list(filter: InspectionFilter, after: InspectionCursorDto | undefined, limit: number): InspectionListPage {
    const page = this.repo.page(filter, { after: after ?? null, limit });
    return { rows: this.decorate(page.rows), next: page.next };
  }

  get(id: number): InspectionDto | null {
    const row = this.repo.get(id);
    return row ? this.decorate([row])[0] : null;
  }

  decisions(inspectionId: number): ReviewDecisionDto[] {
    return (
      this.stmt(
        `SELECT id, inspection_id, decided_at, reviewer, decision, defect_type, reason
         FROM review_decisions WHERE inspection_id = ? ORDER BY id`,
      ).all(inspectionId) as DecisionRow[]
    ).map(toDecision);
  }

  models(): ModelUsage[] {
    const rows = this.stmt(
      `SELECT model_id, MAX(model_version) AS v, COUNT(*) AS n, MAX(at) AS last_at
       FROM inspections GROUP BY model_id ORDER BY last_at DESC`,
    ).all() as Array<{ model_id: string; v: number; n: number; last_at: string }>;
    return rows.map((r) => ({
      modelId: r.model_id,
      latestVersion: r.v,
      inspections: r.n,
      lastAt: r.last_at,
    }));
  }

  histogram(filter: InspectionFilter, binCount: number, include: number[], max?: number): ScoreHistogram {
    const { where, params } = filterSql(filter);
    const summary = this.stmt(
      `SELECT COUNT(*) AS n, MIN(i.norm_score) AS lo, MAX(i.norm_score) AS hi,
        SUM(i.verdict = 'PASS') AS pass, SUM(i.verdict = 'REVIEW') AS review, SUM(i.verdict = 'FAIL') AS fail
       FROM inspections i${where}`,
    ).get(...params) as {
      n: number;
      lo: number | null;
      hi: number | null;
      pass: number | null;
      review: number | null;
      fail: number | null;
    };
    const values = [...include.filter(Number.isFinite)];
    if (summary.lo !== null) values.push(summary.lo);
    if (summary.hi !== null) values.push(max !== undefined ? Math.min(summary.hi, max) : summary.hi);
    let lo = values.length ? Math.min(...values) : 0;
    let hi = values.length ? Math.max(...values) : 1;
    // A margin so the extreme parts and a threshold at the edge are not glued to the axis.
    const pad = Math.max((hi - lo) * 0.05, 0.05);
    lo = niceFloor(lo - pad);
    hi =
      max !== undefined && summary.hi !== null && summary.hi >= max
        ? Math.max(max, lo + 0.1)
        : niceCeil(hi + pad);
    const binWidth = (hi - lo) / binCount;
    const bins = Array.from({ length: binCount }, (_, k) => ({
      lo: lo + k * binWidth,
      hi: lo + (k + 1) * binWidth,
      pass: 0,
      review: 0,
      fail: 0,
    }));
    const grouped = this.stmt(
      `SELECT MAX(0, MIN(?, CAST((i.norm_score - ?) / ? AS INTEGER))) AS b, i.verdict AS v, COUNT(*) AS n
       FROM inspections i${where} GROUP BY b, v`,
    ).all(binCount - 1, lo, binWidth, ...params) as Array<{ b: number; v: Verdict; n: number }>;
    for (const g of grouped) {
      const bin = bins[g.b];
      if (bin) bin[key(g.v)] += g.n;
    }
    return {
      lo,
      hi,
      binWidth,
      bins,
      total: summary.n,
      counts: { pass: summary.pass ?? 0, review: summary.review ?? 0, fail: summary.fail ?? 0 },
      minScore: summary.lo,
      maxScore: summary.hi,
    };
  }

  /** The models whose parts match the filter (at most `limit`), for scoping threshold what-ifs. */
  modelsIn(filter: InspectionFilter, limit = 6): string[] {
    const { where, params } = filterSql(filter);
    return (
      this.stmt(`SELECT DISTINCT i.model_id AS m FROM inspections i${where} LIMIT ?`).all(
        ...params,
        limit,
      ) as Array<{ m: string }>
    ).map((r) => r.m);
  }

  /**
   * Exact re-judgement with the station's rule: score < T1 PASS, < T2 REVIEW, else FAIL. Normalised
   * scores are on each model's own scale, so the set must be one model's parts (callers check
   * modelsIn first; the answer names the model).
   */
  whatIf(filter: InspectionFilter, t1: number, t2: number): WhatIfResult {
    const models = this.modelsIn(filter, 2);
    if (models.length > 1) {
      throw new Error(
        'What-if needs the parts of one model: normalised scores of different models are not comparable.',
      );
    }
    const { where, params } = filterSql(filter);
    const r = this.stmt(
      `SELECT COUNT(*) AS n,
        SUM(i.norm_score < ?) AS w_pass,
        SUM(i.norm_score >= ? AND i.norm_score < ?) AS w_review,
        SUM(i.norm_score >= ?) AS w_fail,
        SUM(i.verdict = 'PASS') AS pass, SUM(i.verdict = 'REVIEW') AS review, SUM(i.verdict = 'FAIL') AS fail,
        SUM(i.verdict <> CASE WHEN i.norm_score < ? THEN 'PASS' WHEN i.norm_score < ? THEN 'REVIEW' ELSE 'FAIL' END)
          AS changed
       FROM inspections i${where}`,
    ).get(t1, t1, t2, t2, t1, t2, ...params) as Record<string, number | null>;
    const n = (k: string): number => r[k] ?? 0;
    return {
      thresholds: { t1, t2 },
      modelId: models[0] ?? null,
      total: n('n'),
      wouldBe: { pass: n('w_pass'), review: n('w_review'), fail: n('w_fail') },
      recorded: { pass: n('pass'), review: n('review'), fail: n('fail') },
      changed: n('changed'),
    };
  }

  yieldOverTime(filter: InspectionFilter, bucket: YieldBucketSize | 'auto'): YieldOverTime {
    const { where, params } = filterSql(filter);
    let size: YieldBucketSize = bucket === 'auto' ? 'hour' : bucket;
    if (bucket === 'auto') {
      const span = this.stmt(`SELECT MIN(i.at) AS lo, MAX(i.at) AS hi FROM inspections i${where}`).get(
        ...params,
      ) as { lo: string | null; hi: string | null };
      const ms = span.lo && span.hi ? Date.parse(span.hi) - Date.parse(span.lo) : 0;
      // The finest size that keeps the chart readable (≤ ~120 bars).
      size =
        ms <= 120 * BUCKET_PREFIX.minute.ms ? 'minute' : ms <= 120 * BUCKET_PREFIX.hour.ms ? 'hour' : 'day';
    }
    const { len, suffix } = BUCKET_PREFIX[size];
    const rows = this.stmt(
      `SELECT substr(i.at, 1, ${len}) AS k,
        SUM(i.verdict = 'PASS') AS pass, SUM(i.verdict = 'REVIEW') AS review, SUM(i.verdict = 'FAIL') AS fail
       FROM inspections i${where} GROUP BY k ORDER BY k`,
    ).all(...params) as Array<{ k: string; pass: number; review: number; fail: number }>;
    return {
      bucket: size,
      buckets: rows.map((r) => ({ start: `${r.k}${suffix}`, pass: r.pass, review: r.review, fail: r.fail })),
    };
  }

  csvChunk(filter: InspectionFilter, after: InspectionCursorDto | undefined, limit: number): CsvChunk {
    const page = this.list(filter, after, Math.min(limit, 1000));
    let rows = page.rows;
    let next = page.next;
    // InspectionRepository caps a page at 1000 rows; larger chunks are several pages.
    while (next && rows.length < limit) {
      const more = this.list(filter, next, Math.min(1000, limit - rows.length));
      rows = rows.concat(more.rows);
      next = more.next;
    }
    const head = after ? '' : `${CSV_COLUMNS.join(',')}\r\n`;
    const shas = this.shas(rows.map((r) => r.id));
    return { csv: head + rows.map((r) => csvLine(r, shas.get(r.id))).join(''), rows: rows.length, next };
  }

  /** Streams the whole filtered set, newest first, one keyset page at a time. */
  *csvLines(filter: InspectionFilter, pageSize = 1000): Generator<string> {
    let after: InspectionCursorDto | undefined;
    let first = true;
    for (;;) {
      const chunk = this.csvChunk(filter, after, pageSize);
      if (first || chunk.rows > 0) yield chunk.csv;
      first = false;
      if (!chunk.next) return;
      after = chunk.next;
    }
  }

  candidates(beforeId: number | undefined, limit: number): CandidatePage {
    const base = `FROM review_decisions r JOIN inspections i ON i.id = r.inspection_id
      WHERE r.decision = 'false_alarm'
        AND r.id = (SELECT MAX(r2.id) FROM review_decisions r2 WHERE r2.inspection_id = r.inspection_id)`;
    const raw = this.stmt(
      `SELECT r.id AS decision_id, r.inspection_id, r.decided_at, r.reviewer, r.reason, i.at, i.norm_score,
        i.verdict, i.model_id, i.image_ref, i.image_sha256
       ${base}${beforeId !== undefined ? ' AND r.id < ?' : ''} ORDER BY r.id DESC LIMIT ?`,
    ).all(...(beforeId !== undefined ? [beforeId] : []), limit + 1) as CandidateRow[];
    const total = (this.stmt(`SELECT COUNT(*) AS n ${base}`).get() as { n: number }).n;
    const rows = raw.slice(0, limit).map((r) => this.toCandidate(r));
    return {
      rows,
      nextBeforeId: raw.length > limit ? rows[rows.length - 1].decisionId : null,
      total,
      folder: this.candidatesDir,
    };
  }

  /**
   * Copies every candidate's stored image into the candidates folder under a stable name, so
   * exporting twice copies nothing twice and the trainer can pick the folder up as it is.
   */
  async exportCandidates(): Promise<CandidateExport> {
    await fsp.mkdir(this.candidatesDir, { recursive: true });
    const out: CandidateExport = { folder: this.candidatesDir, copied: 0, alreadyThere: 0, missingImage: 0 };
    let beforeId: number | undefined;
    for (;;) {
      const page = this.candidates(beforeId, 200);
      for (const c of page.rows) {
        const raw = this.candidateRow(c.decisionId);
        const name = raw ? candidateFileName(raw) : null;
        if (!raw || !name || !raw.image_ref) {
          out.missingImage += 1;
          continue;
        }
        const target = join(this.candidatesDir, name);
        if (existsSync(target)) {
          out.alreadyThere += 1;
          continue;
        }
        let data: Buffer;
        try {
          data = await this.images.get(raw.image_ref);
        } catch {
          out.missingImage += 1;
          continue;
        }
        // Temp + rename: a trainer watching the folder never reads half a file.
        const tmp = join(this.candidatesDir, `.${name}.tmp`);
        await fsp.writeFile(tmp, data);
        await fsp.rename(tmp, target);
        out.copied += 1;
      }
      if (page.nextBeforeId === null) break;
      beforeId = page.nextBeforeId;
    }
    return out;
  }

  private candidateRow(decisionId: number): CandidateRow | undefined {
    return this.stmt(
      `SELECT r.id AS decision_id, r.inspection_id, r.decided_at, r.reviewer, r.reason, i.at, i.norm_score,
        i.verdict, i.model_id, i.image_ref, i.image_sha256
       FROM review_decisions r JOIN inspections i ON i.id = r.inspection_id WHERE r.id = ?`,
    ).get(decisionId) as CandidateRow | undefined;
  }

  private toCandidate(r: CandidateRow): RetrainingCandidate {
    const name = candidateFileName(r);
    return {
      inspectionId: r.inspection_id,
      decisionId: r.decision_id,
      decidedAt: r.decided_at,
      reviewer: r.reviewer,
      reason: r.reason,
      at: r.at,
      normScore: r.norm_score,
      verdict: r.verdict,
      modelId: r.model_id,
      imageRef: r.image_ref,
      exportedAs: name && existsSync(join(this.candidatesDir, name)) ? name : null,
    };
  }

  /** Adds the newest review decision to each row (one indexed query for the whole page). */
  private decorate(rows: InspectionRow[]): InspectionDto[] {
    const latest = new Map<number, DecisionRow>();
    if (rows.length > 0) {
      const ids = rows.map((r) => r.id);
      const found = this.stmt(
        `SELECT id, inspection_id, decided_at, reviewer, decision, defect_type, reason FROM review_decisions
         WHERE inspection_id IN (${ids.map(() => '?').join(',')}) ORDER BY id`,
      ).all(...ids) as DecisionRow[];
      for (const d of found) latest.set(d.inspection_id, d);
    }
    return rows.map((r) => {
      const d = latest.get(r.id);
      return {
        id: r.id,
        at: r.at,
        source: r.source,
        frameId: r.frameId,
        modelId: r.modelId,
        modelVersion: r.modelVersion,
        rawScore: r.rawScore,
        normScore: r.normScore,
        verdict: r.verdict,
        latencyMs: r.latencyMs,
        imageRef: r.evictedAt ? null : r.imageRef,
        heatmapRef: r.evictedAt ? null : r.heatmapRef,
        heatmapFit: this.fitOf(r.modelId),
        storeError: r.storeError,
        evictedAt: r.evictedAt,
        shift: r.shift,
        productId: r.productId,
        runId: r.runId,
        sourceRef: r.sourceRef,
        review: d
          ? {
              decision: d.decision,
              defectType: d.defect_type,
              reviewer: d.reviewer,
              decidedAt: d.decided_at,
              reason: d.reason,
            }
          : null,
      };
    });
  }

  private shas(ids: number[]): Map<number, { image: string | null; heatmap: string | null }> {
    const out = new Map<number, { image: string | null; heatmap: string | null }>();
    for (let k = 0; k < ids.length; k += 500) {
      const part = ids.slice(k, k + 500);
      const rows = this.stmt(
        `SELECT id, image_sha256, heatmap_sha256 FROM inspections WHERE id IN (${part.map(() => '?').join(',')})`,
      ).all(...part) as Array<{ id: number; image_sha256: string | null; heatmap_sha256: string | null }>;
      for (const r of rows) out.set(r.id, { image: r.image_sha256, heatmap: r.heatmap_sha256 });
    }
    return out;
  }

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      // Bounded: the SQL text varies only with the filter's shape and the IN-list length.
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, s);
    }
    return s;
  }
}

interface DecisionRow {
  id: number;
  inspection_id: number;
  decided_at: string;
  reviewer: string;
  decision: ReviewDecisionDto['decision'];
  defect_type: string | null;
  reason: string | null;
}

interface CandidateRow {
  decision_id: number;
  inspection_id: number;
  decided_at: string;
  reviewer: string;
  reason: string | null;
  at: string;
  norm_score: number;
  verdict: Verdict;
  model_id: string;
  image_ref: string | null;
  image_sha256: string | null;
}

function toDecision(d: DecisionRow): ReviewDecisionDto {
  return {
    id: d.id,
    inspectionId: d.inspection_id,
    decidedAt: d.decided_at,
    reviewer: d.reviewer,
    decision: d.decision,
    defectType: d.defect_type,
    reason: d.reason,
  };
}

function candidateFileName(r: CandidateRow): string | null {
  if (!r.image_ref || !r.image_sha256) return null;
  const ext = r.image_ref.slice(r.image_ref.lastIndexOf('.') + 1);
  return `false-alarm_${r.inspection_id}_${r.image_sha256.slice(0, 12)}.${ext}`;
}

function key(v: Verdict): keyof VerdictCounts {
  return v === 'PASS' ? 'pass' : v === 'REVIEW' ? 'review' : 'fail';
}

function niceFloor(x: number): number {
  return Math.floor(x * 10) / 10;
}
function niceCeil(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/** RFC 4180: quote fields with separators/quotes/newlines; a leading =,+,-,@ is prefixed with '
 *  so a spreadsheet never executes a source name or reason as a formula. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(
  r: InspectionDto,
  sha: { image: string | null; heatmap: string | null } | undefined,
): string {
  const fields: unknown[] = [
    r.id,
    r.at,
    r.verdict,
    r.normScore,
    r.rawScore,
    r.modelId,
    r.modelVersion,
    Math.round(r.latencyMs * 1000) / 1000,
    r.source,
    r.frameId,
    r.review ? 'yes' : 'no',
    r.review?.decision ?? null,
    r.review?.defectType ?? null,
    r.review?.reviewer ?? null,
    sha?.image ?? null,
    sha?.heatmap ?? null,
    r.storeError,
    r.review?.reason ?? null,
    r.review?.decidedAt ?? null,
    r.productId,
    r.runId,
    r.sourceRef,
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}
