// The canonical form a row is hashed in. Changing it breaks verification of every existing
// station, so it is versioned by the leading tag and must never be edited in place.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditHashInput {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  oldValue: string | null;
  newValue: string | null;
  reason: string | null;
  prevHash: string;
}

export function auditRowHash(r: AuditHashInput): string {
  // A JSON array keeps field boundaries unambiguous (no "a|b" vs "a|" + "b" collisions) and
  // distinguishes null from the string "null".
  const canonical = JSON.stringify([
    'audit-v1',
    r.id,
    r.at,
    r.actor,
    r.action,
    r.entity,
    r.oldValue,
    r.newValue,
    r.reason,
    r.prevHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
