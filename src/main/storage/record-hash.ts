// Canonical forms for sealing inspection rows. Like audit-hash.ts, each form is versioned by its
// leading tag and must never be edited in place: every sealed batch in the field depends on it.
import { createHash } from 'node:crypto';

/** The fields of an inspection that are sealed; evicted_at is excluded because eviction sets it later. */
export interface SealedInspection {
  id: number;
  at: string;
  source: string;
  frame_id: string | null;
  model_id: string;
  model_version: number;
  raw_score: number;
  norm_score: number;
  verdict: string;
  latency_ms: number;
  image_ref: string | null;
  image_sha256: string | null;
  heatmap_ref: string | null;
  heatmap_sha256: string | null;
  store_error: string | null;
  shift: string | null;
  /**
   * Traceability (schema v5): the product the line ran, the run (one start of the line) and the
   * source's own name for the frame (file name, or stream time). Absent on rows read by the v3
   * migration, which runs before these columns exist.
   */
  product_id?: string | null;
  run_id?: number | null;
  source_ref?: string | null;
}

/** The columns sealed before schema v5; the v3 migration seals old rows with exactly these. */
export const SEALED_COLUMNS_V1 =
  'id, at, source, frame_id, model_id, model_version, raw_score, norm_score, verdict, latency_ms, ' +
  'image_ref, image_sha256, heatmap_ref, heatmap_sha256, store_error, shift';

export const SEALED_COLUMNS = `${SEALED_COLUMNS_V1}, product_id, run_id, source_ref`;

/**
 * A row without any traceability field hashes in the v1 form, so rows sealed before v5 still
 * verify; a row with any of them hashes in the v2 form. Clearing or setting those fields on a
 * sealed row therefore changes its leaf either way (the form switches), and is detected.
 */
export function inspectionLeaf(r: SealedInspection): Buffer {
  const product = r.product_id ?? null;
  const run = r.run_id ?? null;
  const ref = r.source_ref ?? null;
  const traced = product !== null || run !== null || ref !== null;
  // Numbers go through JSON.stringify, which prints the shortest round-tripping form of a double,
  // so the value SQLite returns hashes exactly like the value that was inserted.
  const canonical = JSON.stringify([
    traced ? 'inspection-v2' : 'inspection-v1',
    r.id,
    r.at,
    r.source,
    r.frame_id,
    r.model_id,
    r.model_version,
    r.raw_score,
    r.norm_score,
    r.verdict,
    r.latency_ms,
    r.image_ref,
    r.image_sha256,
    r.heatmap_ref,
    r.heatmap_sha256,
    r.store_error,
    r.shift,
    ...(traced ? [product, run, ref] : []),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest();
}

/**
 * Merkle root over the leaves (RFC 6962 style: 0x00 prefix for leaves, 0x01 for inner nodes, an
 * odd node is promoted unchanged), so a single row can later be proven against the root alone.
 */
export function merkleRoot(leaves: readonly Buffer[]): string {
  if (leaves.length === 0) return createHash('sha256').update('').digest('hex');
  let level: Buffer[] = leaves.map((l) =>
    createHash('sha256')
      .update(Buffer.from([0]))
      .update(l)
      .digest(),
  );
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]);
      else
        next.push(
          createHash('sha256')
            .update(Buffer.from([1]))
            .update(level[i])
            .update(level[i + 1])
            .digest(),
        );
    }
    level = next;
  }
  return level[0].toString('hex');
}

export interface BatchHashInput {
  seq: number;
  at: string;
  firstId: number;
  lastId: number;
  rowCount: number;
  rowsFrom: string | null;
  rowsTo: string | null;
  merkleRoot: string;
  prevHash: string;
}

export function batchHash(b: BatchHashInput): string {
  const canonical = JSON.stringify([
    'batch-v1',
    b.seq,
    b.at,
    b.firstId,
    b.lastId,
    b.rowCount,
    b.rowsFrom,
    b.rowsTo,
    b.merkleRoot,
    b.prevHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
