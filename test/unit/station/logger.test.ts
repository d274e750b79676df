import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ResultLogger } from '../../../src/main/station';
import {
  ImageStore,
  InspectionRepository,
  openDatabase,
  type Db,
  type NewInspection,
  type Verdict,
} from '../../../src/main/storage';

let dir: string;
let db: Db;
let repo: InspectionRepository;
let store: ImageStore;
let logger: ResultLogger;
const stored: string[] = [];
const maxStoreBytes = 320;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'result-logger-'));
  db = openDatabase(join(dir, 'station.db'));
  repo = new InspectionRepository(db);
  store = await ImageStore.open(join(dir, 'images'));
  const retention = () => ({ keepPassEvery: 1, maxStoreBytes });
  const noop = () => undefined;
  logger = new ResultLogger(
    repo,
    store,
    retention,
    { storeError: (m) => stored.push(m), insertError: noop, committed: noop, timing: noop },
    { flushMs: 60_000, flushRows: 100 },
  );
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (seed: number, n: number) => new Uint8Array(n).map((_, i) => (seed * 31 + i * 7) & 255);
const row = (i: number, verdict: Verdict): NewInspection => ({
  at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
  source: 'test',
  frameId: `f${i}`,
  modelId: 'm',
  modelVersion: 1,
  rawScore: 1,
  normScore: 1,
  verdict,
  latencyMs: 1,
});
const item = (i: number, verdict: Verdict, image: Uint8Array, heat: Uint8Array) => ({
  row: row(i, verdict),
  files: async () => ({ image: { data: image, ext: 'jpg' }, heatmap: { data: heat, ext: 'png' } }),
});

it('batches rows, yet commits a pending FAIL before a save that may evict the PASS file it shares', async () => {
  const A = bytes(1, 100); // the same frame bytes judged PASS then FAIL (e.g. after a threshold change)
  await logger.enqueue(item(1, 'PASS', A, bytes(2, 50)));
  await logger.drain();
  expect(repo.count()).toBe(1);

  await logger.enqueue(item(2, 'FAIL', A, bytes(3, 50)));
  await new Promise((r) => setTimeout(r, 20));
  expect(repo.count()).toBe(1); // no eviction in sight: the FAIL row waits for its batch

  // 200 stored + 150 needed > 320: eviction runs, and must see the FAIL row referencing A.
  await logger.enqueue(item(3, 'PASS', bytes(4, 100), bytes(5, 50)));
  await logger.drain();
  const rows = repo.page({}, { limit: 10 }).rows;
  expect(rows).toHaveLength(3);
  const fail = rows.find((r) => r.verdict === 'FAIL')!;
  expect(existsSync(store.pathOf(fail.imageRef!))).toBe(true);
  expect(existsSync(store.pathOf(fail.heatmapRef!))).toBe(true);
  const first = rows.find((r) => r.frameId === 'f1')!;
  expect(first.evictedAt).not.toBeNull(); // its own heatmap went; the shared image stayed
  expect(existsSync(store.pathOf(first.heatmapRef!))).toBe(false);
  expect(stored).toEqual([]);
});

it('writes the row with store_error when the files cannot be produced or stored', async () => {
  await logger.enqueue({
    row: row(1, 'FAIL'),
    files: async () => Promise.reject(new Error('encoder crashed')),
  });
  await logger.enqueue(item(2, 'FAIL', bytes(9, 400), bytes(8, 10))); // larger than the whole store
  await logger.drain();
  const rows = repo.page({}, { limit: 10 }).rows.sort((a, b) => a.id - b.id);
  expect(rows.map((r) => r.storeError)).toEqual([
    expect.stringMatching(/encoder crashed/),
    expect.stringMatching(/^quota_exceeded/),
  ]);
  expect(stored).toHaveLength(2);
});

it('commits by row count and applies back-pressure beyond its backlog', async () => {
  const small = new ResultLogger(
    repo,
    store,
    () => ({ keepPassEvery: 1000, maxStoreBytes: 1e9 }),
    {
      storeError: () => undefined,
      insertError: () => undefined,
      committed: () => undefined,
      timing: () => undefined,
    },
    { flushMs: 60_000, flushRows: 5, maxBacklog: 2 },
  );
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  // keepPassEvery 1000: the first PASS is kept (and encoded), the others are sampled out.
  const slow = {
    row: row(0, 'PASS'),
    files: async () => (
      await gate,
      { image: { data: bytes(1, 10), ext: 'jpg' }, heatmap: { data: bytes(2, 10), ext: 'png' } }
    ),
  };
  await small.enqueue(slow);
  let accepted = false;
  const second = small.enqueue(item(1, 'PASS', bytes(3, 10), bytes(4, 10))).then(() => (accepted = true));
  await new Promise((r) => setTimeout(r, 20));
  expect(accepted).toBe(false); // backlog full: the producer (inference loop) waits
  release();
  await second;
  for (let i = 2; i < 5; i++) await small.enqueue(item(i, 'PASS', bytes(i + 10, 10), bytes(i + 20, 10)));
  await new Promise((r) => setTimeout(r, 20));
  expect(repo.count()).toBe(5); // 5 rows = one batch, committed without waiting for the timer
});

it('samples PASS frames 1 in N before encoding them, and never samples FAIL/REVIEW', async () => {
  const encoded: string[] = [];
  const sampled = new ResultLogger(repo, store, () => ({ keepPassEvery: 3, maxStoreBytes: 1e9 }), {
    storeError: () => undefined,
    insertError: () => undefined,
    committed: () => undefined,
    timing: () => undefined,
  });
  const verdicts: Verdict[] = ['PASS', 'PASS', 'FAIL', 'PASS', 'REVIEW', 'PASS', 'PASS', 'PASS'];
  for (const [i, v] of verdicts.entries()) {
    await sampled.enqueue({
      row: row(i, v),
      files: async () => {
        encoded.push(`f${i}`);
        return {
          image: { data: bytes(i, 20), ext: 'jpg' },
          heatmap: { data: bytes(i + 50, 20), ext: 'png' },
        };
      },
    });
  }
  await sampled.drain();
  // PASS indices 0..5 → kept 0 and 3 → frames f0 and f5 (+ every FAIL/REVIEW).
  expect(encoded).toEqual(['f0', 'f2', 'f4', 'f5']);
  const rows = repo.page({}, { limit: 20 }).rows;
  expect(
    rows
      .filter((r) => r.imageRef)
      .map((r) => r.frameId)
      .sort(),
  ).toEqual(['f0', 'f2', 'f4', 'f5']);
});
