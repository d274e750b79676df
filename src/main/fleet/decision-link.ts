// Brings review decisions made on the fleet server back to the station that inspected the part.
// The station pulls (it is the one behind the plant firewall and may be offline for days): rows of
// central_decisions after the last seq it applied, in seq order. Each is applied through the
// station's own audited review path together with the new cursor, in one SQLite transaction, so a
// crash or a cut link never applies one twice or skips one. The outcome (station review id, or why
// the station refused it) is reported back afterwards and re-sent until the centre has it.
import type { Client, ClientConfig } from 'pg';
import { CentralLink } from './central-link';
import type { Db } from '../storage/database';
import type { SettingsStore } from '../storage/settings-store';

export const FLEET_DECISIONS_KEY = 'fleet.decisions';

export interface PulledDecision {
  seq: number;
  inspectionId: number;
  reviewer: string;
  decision: 'defect_confirmed' | 'false_alarm';
  defectType: string | null;
  reason: string | null;
  changeReason: string | null;
}

/** What applying one decision did: the station's review decision id, or why it was refused. */
export type ApplyOutcome = { reviewId: number } | { error: string };

interface Cursor {
  appliedSeq: number;
  /** Outcomes the centre has not confirmed yet. */
  unreported: Array<{ seq: number; reviewId: number | null; error: string | null }>;
}

export interface DecisionLinkState {
  appliedSeq: number;
  lastPullAt: string | null;
  lastError: string | null;
}

export interface DecisionLinkOptions {
  db: Db;
  settings: SettingsStore;
  stationId: string;
  central: ClientConfig;
  /**
   * Applies one decision through the station's review path. Must be synchronous so it runs inside
   * the transaction that also moves the cursor; throwing means "refused" (the message is reported).
   */
  apply(d: PulledDecision): { reviewId: number };
  pollMs?: number;
  maxBackoffMs?: number;
}

export class DecisionLink {
  private running: Promise<void> | null = null;
  private stopping = false;
  private lastPullAt: string | null = null;

  private readonly link: CentralLink;

  constructor(private readonly o: DecisionLinkOptions) {
    this.link = new CentralLink(o.central);
  }

  state(): DecisionLinkState {
    return {
      appliedSeq: this.cursor().appliedSeq,
      lastPullAt: this.lastPullAt,
      lastError: this.link.lastError,
    };
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop().finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.link.wake();
    await this.running;
    await this.link.disconnect();
  }

  /** One pull: report pending outcomes, fetch what is new, apply it, report. Returns how many applied. */
  async pullOnce(): Promise<number> {
    const client = await this.link.connect();
    try {
      await this.report(client);
      let applied = 0;
      for (;;) {
        const res = await client.query(
          `SELECT seq, inspection_id, reviewer, decision, defect_type, reason, change_reason
           FROM central_decisions WHERE station_id = $1 AND seq > $2 ORDER BY seq LIMIT 100`,
          [this.o.stationId, this.cursor().appliedSeq],
        );
        for (const r of res.rows) {
          this.applyOne({
            seq: Number(r.seq),
            inspectionId: Number(r.inspection_id),
            reviewer: r.reviewer,
            decision: r.decision,
            defectType: r.defect_type,
            reason: r.reason,
            changeReason: r.change_reason,
          });
          applied++;
        }
        await this.report(client);
        if (res.rows.length < 100) break;
      }
      this.lastPullAt = new Date().toISOString();
      this.link.lastError = null;
      return applied;
    } catch (err) {
      await this.link.disconnect();
      throw err;
    }
  }

  private applyOne(d: PulledDecision): void {
    const { db, settings } = this.o;
    const advance = (outcome: { reviewId: number | null; error: string | null }) => {
      const c = this.cursor();
      settings.setInternal(FLEET_DECISIONS_KEY, {
        appliedSeq: d.seq,
        unreported: [...c.unreported, { seq: d.seq, ...outcome }],
      } satisfies Cursor);
    };
    try {
      db.transaction(() => {
        if (this.cursor().appliedSeq >= d.seq) return; // applied by an earlier pull
        const { reviewId } = this.o.apply(d);
        advance({ reviewId, error: null });
      })();
    } catch (err) {
      // Refused (decided at the station meanwhile, bad input): the review rolled back; the
      // refusal itself is the outcome, so the cursor still moves on and the centre is told why.
      const message = err instanceof Error ? err.message : String(err);
      db.transaction(() => {
        if (this.cursor().appliedSeq >= d.seq) return;
        advance({ reviewId: null, error: message.slice(0, 1000) });
      })();
    }
  }

  private async report(client: Client): Promise<void> {
    const pending = this.cursor().unreported;
    if (pending.length === 0) return;
    await client.query(
      `UPDATE central_decisions c SET applied_at = COALESCE(c.applied_at, clock_timestamp()),
         station_review_id = u.review_id, apply_error = u.error
       FROM jsonb_to_recordset($2::jsonb) AS u(seq BIGINT, review_id BIGINT, error TEXT)
       WHERE c.station_id = $1 AND c.seq = u.seq`,
      [
        this.o.stationId,
        JSON.stringify(pending.map((p) => ({ seq: p.seq, review_id: p.reviewId, error: p.error }))),
      ],
    );
    const reported = new Set(pending.map((p) => p.seq));
    this.o.db.transaction(() => {
      const c = this.cursor();
      this.o.settings.setInternal(FLEET_DECISIONS_KEY, {
        appliedSeq: c.appliedSeq,
        unreported: c.unreported.filter((u) => !reported.has(u.seq)),
      } satisfies Cursor);
    })();
  }

  private cursor(): Cursor {
    const c = this.o.settings.getInternal<Cursor>(FLEET_DECISIONS_KEY);
    return { appliedSeq: c?.appliedSeq ?? 0, unreported: c?.unreported ?? [] };
  }

  private async loop(): Promise<void> {
    const poll = this.o.pollMs ?? 2000;
    let backoff = poll;
    while (!this.stopping) {
      try {
        await this.pullOnce();
        backoff = poll;
      } catch (err) {
        this.link.noteError(err);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs ?? 30_000);
      }
      await this.link.sleep(backoff);
    }
  }
}
