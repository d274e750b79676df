import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import {
  InspectionRepository,
  type InspectionFilter,
  type InspectionRow,
} from '../../../src/main/storage/inspections';
import { ReviewRepository } from '../../../src/main/storage/reviews';
import { inspection } from './helpers';

let db: Db;
let repo: InspectionRepository;
const N = 300;

beforeEach(() => {
  db = openDatabase(':memory:');
  repo = new InspectionRepository(db);
  repo.insertMany(Array.from({ length: N }, (_, i) => inspection(i)));
});
afterEach(() => db.close());

function allPages(filter: InspectionFilter, limit: number): InspectionRow[] {
  const out: InspectionRow[] = [];
  let page = repo.page(filter, { limit });
  out.push(...page.rows);
  while (page.next) {
    page = repo.page(filter, { after: page.next, limit });
    out.push(...page.rows);
  }
  return out;
}

/** The reference answer, computed in JS from every row. */
function expected(predicate: (r: InspectionRow) => boolean): number[] {
  const rows = Array.from({ length: N }, (_, i) => repo.get(i + 1)!).filter(predicate);
  rows.sort((a, b) => (a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1));
  return rows.map((r) => r.id);
}

describe('InspectionRepository', () => {
  it('insertMany returns ids and get round-trips every field', () => {
    const ids = repo.insertMany([
      inspection(1000, {
        imageRef: 'ab/x.png',
        imageSha256: 'ab',
        heatmapRef: 'cd/y.png',
        heatmapSha256: 'cd',
        storeError: null,
        shift: 'A',
        productId: 'plate-a',
        runId: 7,
        sourceRef: 'part_0042.png',
      }),
      inspection(1001, { storeError: 'disk_full: no space' }),
    ]);
    expect(ids).toEqual([N + 1, N + 2]);
    expect(repo.get(ids[0])).toEqual({
      ...inspection(1000),
      id: N + 1,
      imageRef: 'ab/x.png',
      imageSha256: 'ab',
      heatmapRef: 'cd/y.png',
      heatmapSha256: 'cd',
      storeError: null,
      shift: 'A',
      productId: 'plate-a',
      runId: 7,
      sourceRef: 'part_0042.png',
      evictedAt: null,
      reviewed: false,
    });
    expect(repo.get(ids[1])).toMatchObject({ productId: null, runId: null, sourceRef: null });
    expect(repo.count({ productId: 'plate-a' })).toBe(1);
    expect(repo.count({ runId: 7 })).toBe(1);
    expect(repo.get(ids[1])!.storeError).toBe('disk_full: no space');
    expect(repo.get(99999)).toBeNull();
  });

  it('insertMany is all-or-nothing', () => {
    expect(() => repo.insertMany([inspection(1), { ...inspection(2), verdict: 'MAYBE' as never }])).toThrow();
    expect(repo.count()).toBe(N);
  });

  it('keyset pages cover every row exactly once, newest first, across equal timestamps', () => {
    const ids = allPages({}, 7).map((r) => r.id);
    expect(ids).toEqual(expected(() => true));
    expect(new Set(ids).size).toBe(N);
  });

  it.each<[string, InspectionFilter, (r: InspectionRow) => boolean]>([
    ['verdicts', { verdicts: ['FAIL', 'REVIEW'] }, (r) => r.verdict !== 'PASS'],
    ['model', { modelId: 'model-b' }, (r) => r.modelId === 'model-b'],
    [
      'time range',
      { from: '2025-01-01T00:00:30.000Z', to: '2025-01-01T00:01:00.000Z' },
      (r) => r.at >= '2025-01-01T00:00:30.000Z' && r.at < '2025-01-01T00:01:00.000Z',
    ],
    ['score range', { minScore: 0.25, maxScore: 0.5 }, (r) => r.normScore >= 0.25 && r.normScore <= 0.5],
    [
      'combined',
      { verdicts: ['PASS'], modelId: 'model-a', minScore: 0.5 },
      (r) => r.verdict === 'PASS' && r.modelId === 'model-a' && r.normScore >= 0.5,
    ],
  ])('filters by %s consistently in page and count', (_name, filter, predicate) => {
    const want = expected(predicate);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(N);
    expect(allPages(filter, 11).map((r) => r.id)).toEqual(want);
    expect(repo.count(filter)).toBe(want.length);
  });

  it('filters reviewed and unreviewed rows and marks them', () => {
    const reviews = new ReviewRepository(db, new AuditTrail(db));
    const fails = repo.page({ verdicts: ['FAIL'] }, { limit: 3 }).rows;
    for (const f of fails)
      reviews.record({ inspectionId: f.id, reviewer: 'qa', decision: 'false_alarm', reason: 'glare' });
    const reviewed = allPages({ reviewed: true }, 2);
    expect(reviewed.map((r) => r.id)).toEqual(fails.map((f) => f.id));
    expect(reviewed.every((r) => r.reviewed)).toBe(true);
    expect(repo.count({ reviewed: false })).toBe(N - 3);
    expect(repo.count({ verdicts: ['FAIL'], reviewed: false })).toBe(repo.count({ verdicts: ['FAIL'] }) - 3);
  });

  it('rejects an unknown verdict in a filter rather than silently matching nothing', () => {
    expect(() => repo.page({ verdicts: ['OK' as never] })).toThrow(/verdict/);
  });
});

describe('ReviewRepository', () => {
  it('stores a decision and its audit row together', () => {
    const audit = new AuditTrail(db);
    const reviews = new ReviewRepository(db, audit);
    const { decision, audit: row } = reviews.record({
      inspectionId: 5,
      reviewer: 'qa',
      decision: 'defect_confirmed',
      defectType: 'scratch',
    });
    expect(reviews.list(5)).toEqual([decision]);
    expect(row).toMatchObject({ actor: 'qa', action: 'review.decide', entity: 'inspection:5' });
    expect(JSON.parse(row.newValue!)).toEqual({ decision: 'defect_confirmed', defectType: 'scratch' });
    // A decision on a missing inspection fails on the foreign key and leaves no audit row behind.
    expect(() => reviews.record({ inspectionId: 9999, reviewer: 'qa', decision: 'false_alarm' })).toThrow(
      /FOREIGN KEY/,
    );
    expect(audit.list().total).toBe(1);
  });
});
