// Station side of fleet replication: reads the outbox in order and drops what the central
// database acknowledged. Entries are queued by the triggers of fleetOutboxMigration.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

export type OutboxKind = 'inspection' | 'review' | 'audit' | 'model' | 'image';

export interface OutboxEntry {
  seq: number;
  kind: OutboxKind;
  entityId: string;
  queuedAt: string;
}

export interface OutboxStatus {
  queued: number;
  cap: number;
  /** Entries refused because the outbox was full; those records are not replicated. */
  dropped: number;
  firstDroppedAt: string | null;
  full: boolean;
  oldestQueuedAt: string | null;
}

export class Outbox {
  private readonly readStmt: Statement<[number, number], OutboxEntry>;
  private readonly ackStmt: Statement<[number]>;
  private readonly statusStmt: Statement<[], Omit<OutboxStatus, 'full'>>;

  constructor(private readonly db: Db) {
    this.readStmt = db.prepare(
      `SELECT seq, kind, entity_id AS entityId, queued_at AS queuedAt FROM fleet_outbox
       WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.ackStmt = db.prepare('DELETE FROM fleet_outbox WHERE seq <= ?');
    this.statusStmt = db.prepare(
      `SELECT queued, cap, dropped, first_dropped_at AS firstDroppedAt,
         (SELECT queued_at FROM fleet_outbox ORDER BY seq LIMIT 1) AS oldestQueuedAt
       FROM fleet_outbox_state`,
    );
  }

  /** The next entries after `afterSeq`, oldest first. */
  read(afterSeq: number, limit: number): OutboxEntry[] {
    return this.readStmt.all(afterSeq, Math.max(1, Math.floor(limit)));
  }

  /** Forgets every entry up to and including `seq` (the central database holds them). */
  ack(seq: number): number {
    return this.db.transaction(() => this.ackStmt.run(seq).changes)();
  }

  status(): OutboxStatus {
    const s = this.statusStmt.get();
    if (!s) throw new Error('fleet_outbox_state is missing: the fleet outbox migration has not run.');
    return { ...s, full: s.queued >= s.cap };
  }

  setCap(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1)
      throw new Error(`Outbox cap must be a positive integer, got ${cap}.`);
    this.db.prepare('UPDATE fleet_outbox_state SET cap = ?').run(cap);
  }
}
