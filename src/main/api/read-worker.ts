// The QA screens' reads (History pages, aggregates, CSV chunks, candidates, audit pages) run in one worker
// thread on its own read-only connection, so a long query or a 200 000-row export never holds the
// main thread, where the inspection loop posts results and commits rows. WAL lets that reader see
// every committed batch without blocking the writer.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { resolveWorkerEntry } from '../jobs/worker-job';
import type { AuditReader } from '../storage/audit-trail';
import type { InspectionQueries } from './inspection-queries';

export const READ_WORKER_ENTRY = {
  name: 'inspection-read-worker',
  source: join(__dirname, 'read.worker.ts'),
};

/** What the worker serves: InspectionQueries' read-only methods and the audit trail's pages. */
export interface ReadApi extends Pick<InspectionQueries, InspectionReadMethod> {
  auditPage: AuditReader['list'];
}

export const READ_METHODS = [
  'list',
  'get',
  'decisions',
  'models',
  'histogram',
  'whatIf',
  'modelsIn',
  'yieldOverTime',
  'csvChunk',
  'candidates',
  'auditPage',
] as const;
export type ReadMethod = (typeof READ_METHODS)[number];
type InspectionReadMethod = Exclude<ReadMethod, 'auditPage'>;
type Fn<M extends ReadMethod> = ReadApi[M] extends (...a: infer A) => infer R ? (...a: A) => R : never;

export interface ReadWorkerData {
  databaseFile: string;
  modelsDir: string;
  candidatesDir: string;
}

export type ReadRequest = { id: number; method: ReadMethod; args: unknown[] };
export type ReadReply = { id: number; result?: unknown; error?: { message: string; name: string } };

export class ReadWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private closed = false;

  constructor(private readonly data: ReadWorkerData) {}

  call<M extends ReadMethod>(method: M, ...args: Parameters<Fn<M>>): Promise<ReturnType<Fn<M>>> {
    if (this.closed) return Promise.reject(new Error('The read worker is closed.'));
    const w = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok: ok as (v: unknown) => void, fail });
      w.postMessage({ id, method, args } satisfies ReadRequest);
    });
  }

  /** CSV in keyset chunks, each read in the worker; the caller writes one before asking for the next. */
  async *csvLines(filter: Parameters<Fn<'csvChunk'>>[0], pageSize = 1000): AsyncGenerator<string> {
    let after: Parameters<Fn<'csvChunk'>>[1];
    let first = true;
    for (;;) {
      const chunk = await this.call('csvChunk', filter, after, pageSize);
      if (first || chunk.rows > 0) yield chunk.csv;
      first = false;
      if (!chunk.next) return;
      after = chunk.next;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('The read worker was closed.'));
    await w?.terminate();
  }

  private spawn(): Worker {
    const resolved = resolveWorkerEntry(READ_WORKER_ENTRY);
    const w = new Worker(resolved.script, {
      eval: resolved.eval,
      workerData: this.data,
      name: READ_WORKER_ENTRY.name,
    });
    w.on('message', (msg: ReadReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) {
        const err = new Error(msg.error.message);
        err.name = msg.error.name;
        p.fail(err);
      } else p.ok(msg.result);
    });
    // A crashed worker fails what it held; the next call starts a fresh one.
    const gone = (err: Error) => {
      if (this.worker === w) this.worker = null;
      this.failAll(err);
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`The read worker exited (code ${code}).`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.fail(err);
  }
}
