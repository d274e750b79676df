// Runs: one row per start of the line. Frame ids (`s3:10`) restart with the process, so a run id
// is what tells two parts with the same frame id apart; AUTOINCREMENT never hands out an id twice,
// even after the newest run row is gone.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

export interface RunRow {
  id: number;
  startedAt: string;
  endedAt: string | null;
  productId: string | null;
  modelId: string | null;
  source: string;
}

export interface NewRun {
  startedAt: string;
  productId: string | null;
  modelId: string | null;
  source: string;
}

export class RunRepository {
  private readonly insertStmt: Statement<[string, string | null, string | null, string]>;
  private readonly endStmt: Statement<[string, number]>;
  private readonly byId: Statement<[number], Record<string, unknown>>;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO runs (started_at, product_id, model_id, source) VALUES (?, ?, ?, ?)',
    );
    this.endStmt = db.prepare('UPDATE runs SET ended_at = ? WHERE id = ? AND ended_at IS NULL');
    this.byId = db.prepare('SELECT * FROM runs WHERE id = ?');
  }

  open(run: NewRun): number {
    return Number(this.insertStmt.run(run.startedAt, run.productId, run.modelId, run.source).lastInsertRowid);
  }

  end(id: number, at: string): void {
    this.endStmt.run(at, id);
  }

  get(id: number): RunRow | null {
    const r = this.byId.get(id);
    if (!r) return null;
    return {
      id: r.id as number,
      startedAt: r.started_at as string,
      endedAt: (r.ended_at as string | null) ?? null,
      productId: (r.product_id as string | null) ?? null,
      modelId: (r.model_id as string | null) ?? null,
      source: r.source as string,
    };
  }
}
