// Append-only, hash-chained audit trail (21 CFR Part 11 spirit): who, when, what, old, new, why.
import type { AuditPage, AuditRow, AuditVerification } from '@shared/api';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { auditRowHash } from './audit-hash';
import { verifyAuditChain } from './chain-verify';
import { sealCheckpoint } from './checkpoints';
import type { AuditDbRow } from './chain-rows';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  oldValue?: string | null;
  newValue?: string | null;
  reason?: string | null;
}

const COLUMNS = 'id, at, actor, action, entity, old_value, new_value, reason, prev_hash, hash';

export class AuditTrail {
  private readonly head: Statement<[], { last_id: number; last_hash: string }>;
  private readonly insert: Statement<unknown[]>;
  private readonly advance: Statement<[number, string]>;
  private readonly reader: AuditReader;
  private readonly appendTx: (entry: AuditEntry) => AuditRow;
  private readonly listeners = new Set<(row: AuditRow) => void>();

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.head = db.prepare('SELECT last_id, last_hash FROM audit_head WHERE singleton = 1');
    this.insert = db.prepare(`INSERT INTO audit_trail (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.advance = db.prepare('UPDATE audit_head SET last_id = ?, last_hash = ? WHERE singleton = 1');
    this.reader = new AuditReader(db);
    // Ids come from the head, not AUTOINCREMENT, because the id is part of the hashed content
    // and must be known before the row is written.
    this.appendTx = db.transaction((entry: AuditEntry): AuditRow => {
      const head = this.head.get();
      if (!head) throw new Error('audit_head row is missing; the audit trail cannot be extended.');
      const row = {
        id: head.last_id + 1,
        at: this.now().toISOString(),
        actor: entry.actor,
        action: entry.action,
        entity: entry.entity,
        oldValue: entry.oldValue ?? null,
        newValue: entry.newValue ?? null,
        reason: entry.reason ?? null,
        prevHash: head.last_hash,
      };
      const hash = auditRowHash(row);
      this.insert.run(
        row.id,
        row.at,
        row.actor,
        row.action,
        row.entity,
        row.oldValue,
        row.newValue,
        row.reason,
        row.prevHash,
        hash,
      );
      this.advance.run(row.id, hash);
      sealCheckpoint(db, 'audit');
      return { ...row, hash };
    });
  }

  /** Atomic; joins the caller's transaction when there is one, so a rollback drops the row too. */
  append(entry: AuditEntry): AuditRow {
    if (!entry.actor.trim()) throw new Error('Audit entries need an actor.');
    const row = this.appendTx(entry);
    for (const listener of this.listeners) {
      try {
        listener(row);
      } catch {
        // Listeners only notify the UI; a failing one must not undo or hide a committed row.
      }
    }
    return row;
  }

  /** Notifies after each append (the UI refreshes its trail view on it). */
  onAppend(listener: (row: AuditRow) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(page: AuditPageRequest = {}): AuditPage {
    return this.reader.list(page);
  }

  /** The audit chain alone; verifyStationChain adds inspections and the signed checkpoints. */
  verify(): AuditVerification {
    const verifiedAt = this.now().toISOString();
    const { end, damage } = verifyAuditChain(this.db);
    return {
      ok: damage === null,
      checkedRows: end.checked,
      firstBadId: damage?.firstBadId ?? null,
      problem: damage?.problem ?? null,
      verifiedAt,
    };
  }
}

export interface AuditPageRequest {
  beforeId?: number;
  limit?: number;
}

/**
 * Pages of the trail, newest first. Needs only a read connection, so the QA screens' read worker
 * serves it on its read-only handle and a long trail never holds the inspection thread.
 */
export class AuditReader {
  private readonly pageFirst: Statement<[number], AuditDbRow>;
  private readonly pageBefore: Statement<[number, number], AuditDbRow>;
  private readonly count: Statement<[], { n: number }>;

  constructor(db: Db) {
    this.pageFirst = db.prepare(`SELECT ${COLUMNS} FROM audit_trail ORDER BY id DESC LIMIT ?`);
    this.pageBefore = db.prepare(`SELECT ${COLUMNS} FROM audit_trail WHERE id < ? ORDER BY id DESC LIMIT ?`);
    this.count = db.prepare('SELECT COUNT(*) AS n FROM audit_trail');
  }

  list({ beforeId, limit = 100 }: AuditPageRequest = {}): AuditPage {
    const take = Math.max(1, Math.min(500, Math.floor(limit)));
    // One extra row tells whether an older page exists without a second query.
    const raw =
      beforeId === undefined ? this.pageFirst.all(take + 1) : this.pageBefore.all(beforeId, take + 1);
    const rows = raw.slice(0, take).map(toAuditRow);
    return {
      rows,
      nextBeforeId: raw.length > take ? rows[rows.length - 1].id : null,
      total: this.count.get()!.n,
    };
  }
}

function toAuditRow(r: AuditDbRow): AuditRow {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    entity: r.entity,
    oldValue: r.old_value,
    newValue: r.new_value,
    reason: r.reason,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
