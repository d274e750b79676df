// History must page fast over 100 000+ rows (product requirement); this holds the query plans to it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { InspectionRepository, type InspectionFilter } from '../../../src/main/storage/inspections';
import { inspection, tempDir } from '../../unit/storage/helpers';

const ROWS = 100_000;
let tmp: ReturnType<typeof tempDir>;
let db: Db;
let repo: InspectionRepository;

beforeAll(() => {
  tmp = tempDir();
  db = openDatabase(join(tmp.dir, 'station.db'));
  repo = new InspectionRepository(db);
  const t0 = performance.now();
  repo.insertMany(Array.from({ length: ROWS }, (_, i) => inspection(i)));
  // Logged, not asserted: insert speed depends on the disk; the page query is the contract.
  console.log(`inserted ${ROWS} rows in ${(performance.now() - t0).toFixed(0)} ms`);
});
afterAll(() => {
  db.close();
  tmp.cleanup();
});

/** Best of a few runs: the shared 2-core machine makes single timings noisy. */
function bestMs(fn: () => void, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('inspections at 100k rows', () => {
  it('holds every row', () => {
    expect(repo.count()).toBe(ROWS);
  });

  it.each<[string, InspectionFilter]>([
    ['no filter', {}],
    ['FAIL only', { verdicts: ['FAIL'] }],
    ['FAIL + REVIEW, not reviewed', { verdicts: ['FAIL', 'REVIEW'], reviewed: false }],
    ['model + score', { modelId: 'model-b', minScore: 0.9 }],
    ['time window', { from: '2025-01-01T10:00:00.000Z', to: '2025-01-01T12:00:00.000Z' }],
  ])('pages deep into the history in < 50 ms (%s)', (_name, filter) => {
    // Walk to a page far from the newest rows, then time the next page from that cursor.
    let page = repo.page(filter, { limit: 100 });
    for (let i = 0; i < 20 && page.next; i++) page = repo.page(filter, { after: page.next, limit: 100 });
    const cursor = page.next!;
    expect(cursor).not.toBeNull();
    let rows = 0;
    const ms = bestMs(() => {
      rows = repo.page(filter, { after: cursor, limit: 100 }).rows.length;
    });
    expect(rows).toBe(100);
    expect(ms).toBeLessThan(50);
  });

  it('counts a filtered result in < 50 ms', () => {
    expect(bestMs(() => repo.count({ verdicts: ['FAIL'] }))).toBeLessThan(50);
  });
});
