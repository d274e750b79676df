// The sealed tables' rows as SQLite (and the central PostgreSQL copy) store them: the audit trail
// and the inspection batches. One definition for the writer, the verifier and the shipper.

/** An audit_trail row; `Id` is a string where PostgreSQL returns bigint as text. */
export interface AuditDbRow<Id = number> {
  id: Id;
  at: string;
  actor: string;
  action: string;
  entity: string;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

/** An inspection_batches row: a committed batch's Merkle root, chained like the audit trail. */
export interface BatchDbRow<Id = number> {
  seq: Id;
  at: string;
  first_id: Id;
  last_id: Id;
  row_count: number;
  rows_from: string | null;
  rows_to: string | null;
  leaves: Buffer;
  merkle_root: string;
  prev_hash: string;
  hash: string;
}
