// A killed station (kill -9, power cut) loses at most the frames in flight: the database opens,
// passes integrity_check, every row is consistent and points at intact files, and the audit
// chain verifies.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DemoPaths } from '../../../src/main/demo';
import { verdictOf } from '../../../src/main/models/schema';
import {
  AuditTrail,
  ImageStore,
  InspectionRepository,
  openDatabase,
  type InspectionRow,
} from '../../../src/main/storage';
import { tempDir, tinyDemo } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let demo: DemoPaths;

beforeAll(async () => {
  tmp = tempDir('station-kill9');
  demo = await tinyDemo(join(tmp.dir, 'data'));
});
afterAll(() => tmp.cleanup());

it('survives kill -9 mid-run with a consistent database and audit trail', async () => {
  const runDir = join(tmp.dir, 'run');
  const root = resolve(__dirname, '../../..');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'fixtures', 'run-station.ts'), demo.modelDir, demo.lineDir, runDir],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let last = { inspected: 0, rows: 0, audits: 0 };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  await new Promise<void>((resolveRun, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`child made no progress: ${stderr}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        last = JSON.parse(line) as typeof last;
        // Kill once a good number of rows is committed and more are in flight.
        if (last.rows >= 40 && last.inspected > last.rows) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolveRun();
          return;
        }
      }
    });
    child.on('exit', () => reject(new Error(`child exited by itself: ${stderr}`)));
  });
  const { signal } = await exited;
  expect(signal).toBe('SIGKILL');

  const db = openDatabase(join(runDir, 'station.db'));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const repo = new InspectionRepository(db);
    const rows: InspectionRow[] = [];
    let page = repo.page({}, { limit: 1000 });
    rows.push(...page.rows);
    while (page.next) rows.push(...(page = repo.page({}, { after: page.next, limit: 1000 })).rows);
    // Every batch reported committed is there; nothing beyond what was inspected.
    expect(rows.length).toBeGreaterThanOrEqual(last.rows);
    expect(rows.length).toBeLessThanOrEqual(last.inspected + 200);
    expect(new Set(rows.map((r) => r.frameId)).size).toBe(rows.length);
    const store = await ImageStore.open(join(runDir, 'images'));
    for (const r of rows) {
      expect(r.verdict).toBe(verdictOf(r.normScore, { t1: 0.5, t2: 1 }));
      for (const [ref, sha] of [
        [r.imageRef, r.imageSha256],
        [r.heatmapRef, r.heatmapSha256],
      ] as const) {
        if (!ref) continue;
        expect(
          createHash('sha256')
            .update(readFileSync(store.pathOf(ref)))
            .digest('hex'),
        ).toBe(sha);
      }
    }
    expect(rows.some((r) => r.imageRef)).toBe(true);
    const audit = new AuditTrail(db);
    const check = audit.verify();
    expect(check).toMatchObject({ ok: true });
    expect(check.checkedRows).toBeGreaterThanOrEqual(last.audits - 1);
  } finally {
    db.close();
  }
}, 90_000);
