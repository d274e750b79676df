// QA decisions on flagged parts. A decision and its audit row commit together.
import type { AuditRow } from '@shared/api';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { AuditTrail } from './audit-trail';

export type ReviewDecisionKind = 'defect_confirmed' | 'false_alarm';

export interface NewReviewDecision {
  inspectionId: number;
  reviewer: string;
  decision: ReviewDecisionKind;
  defectType?: string | null;
  reason?: string | null;
}

export interface ReviewDecision extends Required<NewReviewDecision> {
  id: number;
  decidedAt: string;
}

export class ReviewRepository {
  private readonly insertStmt: Statement<unknown[]>;
  private readonly forInspection: Statement<[number], Record<string, unknown>>;
  private readonly recordTx: (d: NewReviewDecision) => { decision: ReviewDecision; audit: AuditRow };

  constructor(db: Db, audit: AuditTrail, now: () => Date = () => new Date()) {
    this.insertStmt = db.prepare(`INSERT INTO review_decisions (inspection_id, decided_at, reviewer, decision,
      defect_type, reason) VALUES (?, ?, ?, ?, ?, ?)`);
    this.forInspection = db.prepare(
      'SELECT id, inspection_id, decided_at, reviewer, decision, defect_type, reason FROM review_decisions WHERE inspection_id = ? ORDER BY id',
    );
    this.recordTx = db.transaction((d: NewReviewDecision) => {
      if (d.decision !== 'defect_confirmed' && d.decision !== 'false_alarm') {
        throw new Error(`Invalid review decision "${String(d.decision)}".`);
      }
      const decidedAt = now().toISOString();
      const info = this.insertStmt.run(
        d.inspectionId,
        decidedAt,
        d.reviewer,
        d.decision,
        d.defectType ?? null,
        d.reason ?? null,
      );
      const decision: ReviewDecision = {
        id: Number(info.lastInsertRowid),
        decidedAt,
        inspectionId: d.inspectionId,
        reviewer: d.reviewer,
        decision: d.decision,
        defectType: d.defectType ?? null,
        reason: d.reason ?? null,
      };
      const row = audit.append({
        actor: d.reviewer,
        action: 'review.decide',
        entity: `inspection:${d.inspectionId}`,
        newValue: JSON.stringify({ decision: d.decision, defectType: decision.defectType }),
        reason: decision.reason,
      });
      return { decision, audit: row };
    });
  }

  record(d: NewReviewDecision): { decision: ReviewDecision; audit: AuditRow } {
    return this.recordTx(d);
  }

  list(inspectionId: number): ReviewDecision[] {
    return this.forInspection.all(inspectionId).map((r) => ({
      id: r.id as number,
      inspectionId: r.inspection_id as number,
      decidedAt: r.decided_at as string,
      reviewer: r.reviewer as string,
      decision: r.decision as ReviewDecisionKind,
      defectType: r.defect_type as string | null,
      reason: r.reason as string | null,
    }));
  }
}
