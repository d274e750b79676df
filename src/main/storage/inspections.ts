// Inspection results: batched inserts for the live loop and keyset paging for History,
// which must stay fast over hundreds of thousands of rows (no OFFSET anywhere).
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { sealCheckpoint } from './checkpoints';
import { RecordSealer } from './record-batches';
import type { SealedInspection } from './record-hash';

import type { Verdict } from '@shared/station';

export type { Verdict };

export interface NewInspection {
  at: string;
  source: string;
  frameId?: string | null;
  modelId: string;
  modelVersion: number;
  rawScore: number;
  normScore: number;
  verdict: Verdict;
  latencyMs: number;
  imageRef?: string | null;
  imageSha256?: string | null;
  heatmapRef?: string | null;
  heatmapSha256?: string | null;
  /** Why an image was not stored (disk full, quota); the metadata row is written regardless. */
  storeError?: string | null;
  shift?: string | null;
  /** The product the line ran (null: no product selected). */
  productId?: string | null;
  /** The run (one start of the line) this part was inspected in. */
  runId?: number | null;
  /** The source's own name for the frame: file name, or stream time for cameras and streams. */
  sourceRef?: string | null;
}

export interface InspectionRow extends Required<NewInspection> {
  id: number;
  evictedAt: string | null;
  reviewed: boolean;
}

export interface InspectionFilter {
  verdicts?: Verdict[];
  modelId?: string;
  productId?: string;
  runId?: number;
  /** Inclusive ISO lower bound. */
  from?: string;
  /** Exclusive ISO upper bound. */
  to?: string;
  minScore?: number;
  maxScore?: number;
  reviewed?: boolean;
}

/** Position after the last row of a page; newest-first order is (at DESC, id DESC). */
export interface InspectionCursor {
  at: string;
  id: number;
}

export interface InspectionPage {
  rows: InspectionRow[];
  next: InspectionCursor | null;
}

export interface EvictionCandidate {
  id: number;
  imageRef: string | null;
  heatmapRef: string | null;
}

const SELECT = `SELECT i.id, i.at, i.source, i.frame_id, i.model_id, i.model_version, i.raw_score, i.norm_score,
  i.verdict, i.latency_ms, i.image_ref, i.image_sha256, i.heatmap_ref, i.heatmap_sha256, i.store_error,
  i.shift, i.evicted_at, i.product_id, i.run_id, i.source_ref,
  EXISTS (SELECT 1 FROM review_decisions r WHERE r.inspection_id = i.id) AS reviewed
  FROM inspections i`;

interface DbRow {
  id: number;
  at: string;
  source: string;
  frame_id: string | null;
  model_id: string;
  model_version: number;
  raw_score: number;
  norm_score: number;
  verdict: Verdict;
  latency_ms: number;
  image_ref: string | null;
  image_sha256: string | null;
  heatmap_ref: string | null;
  heatmap_sha256: string | null;
  store_error: string | null;
  shift: string | null;
  evicted_at: string | null;
  product_id: string | null;
  run_id: number | null;
  source_ref: string | null;
  reviewed: number;
}

const VERDICTS: readonly Verdict[] = ['PASS', 'REVIEW', 'FAIL'];

export class InspectionRepository {
  private readonly insertStmt: Statement<unknown[]>;
  private readonly byId: Statement<[number], DbRow>;
  private readonly insertBatch: (rows: readonly NewInspection[]) => number[];
  private readonly sealer: RecordSealer;
  private readonly maxId: Statement<[], { n: number | null }>;
  /** Filtered queries vary in shape; cache each distinct SQL text once. */
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO inspections (id, at, source, frame_id, model_id, model_version,
      raw_score, norm_score, verdict, latency_ms, image_ref, image_sha256, heatmap_ref, heatmap_sha256,
      store_error, shift, product_id, run_id, source_ref)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare(`${SELECT} WHERE i.id = ?`);
    this.sealer = new RecordSealer(db);
    this.maxId = db.prepare('SELECT MAX(id) AS n FROM inspections');
    // Ids follow the sealed chain's head rather than MAX(id)+1, so ids of deleted rows are never
    // reused and a sealed range always means the same rows; the batch is sealed in the same
    // transaction, so no committed row is ever outside the chain.
    this.insertBatch = db.transaction((rows: readonly NewInspection[]) => {
      let next = Math.max(this.sealer.head().last_inspection_id, this.maxId.get()?.n ?? 0) + 1;
      const sealed = rows.map((r) => this.insertOne(r, next++));
      this.sealer.seal(sealed, new Date().toISOString());
      sealCheckpoint(db, 'records');
      return sealed.map((r) => r.id);
    });
  }

  insert(row: NewInspection): number {
    return this.insertBatch([row])[0];
  }

  /** One transaction for the batch: one fsync instead of one per row. */
  insertMany(rows: readonly NewInspection[]): number[] {
    return this.insertBatch(rows);
  }

  get(id: number): InspectionRow | null {
    const r = this.byId.get(id);
    return r ? toRow(r) : null;
  }

  page(
    filter: InspectionFilter = {},
    options: { after?: InspectionCursor | null; limit?: number } = {},
  ): InspectionPage {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 100)));
    const { where, params } = buildWhere(filter);
    if (options.after) {
      where.push('(i.at, i.id) < (?, ?)');
      params.push(options.after.at, options.after.id);
    }
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY i.at DESC, i.id DESC LIMIT ?`;
    const raw = this.stmt(sql).all(...params, limit + 1) as DbRow[];
    const rows = raw.slice(0, limit).map(toRow);
    const last = rows[rows.length - 1];
    return { rows, next: raw.length > limit && last ? { at: last.at, id: last.id } : null };
  }

  count(filter: InspectionFilter = {}): number {
    const { where, params } = buildWhere(filter);
    const sql = `SELECT COUNT(*) AS n FROM inspections i${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    return (this.stmt(sql).get(...params) as { n: number }).n;
  }

  /** Oldest PASS rows still holding files, in eviction order. */
  evictionCandidates(limit: number): EvictionCandidate[] {
    const sql = `SELECT id, image_ref, heatmap_ref FROM inspections
      WHERE verdict = 'PASS' AND evicted_at IS NULL AND (image_ref IS NOT NULL OR heatmap_ref IS NOT NULL)
      ORDER BY at ASC, id ASC LIMIT ?`;
    const rows = this.stmt(sql).all(Math.max(1, Math.floor(limit))) as Array<{
      id: number;
      image_ref: string | null;
      heatmap_ref: string | null;
    }>;
    return rows.map((r) => ({ id: r.id, imageRef: r.image_ref, heatmapRef: r.heatmap_ref }));
  }

  /** Marks every PASS row pointing at a deleted file; the sha256 stays as provenance. */
  markEvicted(ref: string, at: string): number {
    return this.stmt(
      `UPDATE inspections SET evicted_at = ? WHERE verdict = 'PASS' AND evicted_at IS NULL
        AND (image_ref = ? OR heatmap_ref = ?)`,
    ).run(at, ref, ref).changes;
  }

  /** Releases a PASS row's claim on its files, including files withheld for a FAIL/REVIEW twin. */
  markRowEvicted(id: number, at: string): void {
    this.stmt(
      `UPDATE inspections SET evicted_at = ? WHERE id = ? AND verdict = 'PASS' AND evicted_at IS NULL`,
    ).run(at, id);
  }

  /** FAIL/REVIEW rows pointing at this file; while any exist the file must not be deleted. */
  keptReferences(ref: string): number {
    return (
      this.stmt(
        `SELECT COUNT(*) AS n FROM inspections WHERE verdict <> 'PASS' AND (image_ref = ? OR heatmap_ref = ?)`,
      ).get(ref, ref) as { n: number }
    ).n;
  }

  private insertOne(r: NewInspection, id: number): SealedInspection {
    if (!VERDICTS.includes(r.verdict)) throw new Error(`Invalid verdict "${String(r.verdict)}".`);
    const row: SealedInspection = {
      id,
      at: r.at,
      source: r.source,
      frame_id: r.frameId ?? null,
      model_id: r.modelId,
      model_version: r.modelVersion,
      raw_score: r.rawScore,
      norm_score: r.normScore,
      verdict: r.verdict,
      latency_ms: r.latencyMs,
      image_ref: r.imageRef ?? null,
      image_sha256: r.imageSha256 ?? null,
      heatmap_ref: r.heatmapRef ?? null,
      heatmap_sha256: r.heatmapSha256 ?? null,
      store_error: r.storeError ?? null,
      shift: r.shift ?? null,
      product_id: r.productId ?? null,
      run_id: r.runId ?? null,
      source_ref: r.sourceRef ?? null,
    };
    this.insertStmt.run(
      row.id,
      row.at,
      row.source,
      row.frame_id,
      row.model_id,
      row.model_version,
      row.raw_score,
      row.norm_score,
      row.verdict,
      row.latency_ms,
      row.image_ref,
      row.image_sha256,
      row.heatmap_ref,
      row.heatmap_sha256,
      row.store_error,
      row.shift,
      row.product_id,
      row.run_id,
      row.source_ref,
    );
    return row;
  }

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

/** The filter as SQL conditions on alias `i`; values are always bound parameters. */
export function buildWhere(f: InspectionFilter): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.verdicts && f.verdicts.length > 0) {
    const vs = [...new Set(f.verdicts)];
    for (const v of vs) if (!VERDICTS.includes(v)) throw new Error(`Invalid verdict filter "${String(v)}".`);
    where.push(`i.verdict IN (${vs.map(() => '?').join(', ')})`);
    params.push(...vs);
  }
  if (f.modelId !== undefined) {
    where.push('i.model_id = ?');
    params.push(f.modelId);
  }
  if (f.productId !== undefined) {
    where.push('i.product_id = ?');
    params.push(f.productId);
  }
  if (f.runId !== undefined) {
    where.push('i.run_id = ?');
    params.push(f.runId);
  }
  if (f.from !== undefined) {
    where.push('i.at >= ?');
    params.push(f.from);
  }
  if (f.to !== undefined) {
    where.push('i.at < ?');
    params.push(f.to);
  }
  if (f.minScore !== undefined) {
    where.push('i.norm_score >= ?');
    params.push(f.minScore);
  }
  if (f.maxScore !== undefined) {
    where.push('i.norm_score <= ?');
    params.push(f.maxScore);
  }
  if (f.reviewed !== undefined) {
    where.push(
      `${f.reviewed ? '' : 'NOT '}EXISTS (SELECT 1 FROM review_decisions r WHERE r.inspection_id = i.id)`,
    );
  }
  return { where, params };
}

function toRow(r: DbRow): InspectionRow {
  return {
    id: r.id,
    at: r.at,
    source: r.source,
    frameId: r.frame_id,
    modelId: r.model_id,
    modelVersion: r.model_version,
    rawScore: r.raw_score,
    normScore: r.norm_score,
    verdict: r.verdict,
    latencyMs: r.latency_ms,
    imageRef: r.image_ref,
    imageSha256: r.image_sha256,
    heatmapRef: r.heatmap_ref,
    heatmapSha256: r.heatmap_sha256,
    storeError: r.store_error,
    shift: r.shift,
    productId: r.product_id,
    runId: r.run_id,
    sourceRef: r.source_ref,
    evictedAt: r.evicted_at,
    reviewed: r.reviewed === 1,
  };
}
