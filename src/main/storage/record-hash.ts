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
}

export const SEALED_COLUMNS =
  'id, at, source, frame_id, model_id, model_version, raw_score, norm_score, verdict, latency_ms, ' +
  'image_ref, image_sha256, heatmap_ref, heatmap_sha256, store_error, shift';

export function inspectionLeaf(r: SealedInspection): Buffer {
  // Numbers go through JSON.stringify, which prints the shortest round-tripping form of a double,
  // so the value SQLite returns hashes exactly like the value that was inserted.
  const canonical = JSON.stringify([
    'inspection-v1',
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
