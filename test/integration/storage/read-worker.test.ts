// The QA reads served from the worker thread answer exactly what the main-thread queries answer,
// see rows committed after the worker opened its read-only connection, and stream CSV in chunks.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InspectionQueries } from '../../../src/main/api/inspection-queries';
import { ReadWorker } from '../../../src/main/api/read-worker';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { InspectionRepository } from '../../../src/main/storage/inspections';
import { inspection, tempDir } from '../../unit/storage/helpers';

describe('read worker', () => {
  const tmp = tempDir('station-reads-');
  let db: Db;
  let repo: InspectionRepository;
  let queries: InspectionQueries;
  let reads: ReadWorker;
  beforeAll(() => {
    db = openDatabase(join(tmp.dir, 'station.db'));
    repo = new InspectionRepository(db);
    for (let b = 0; b < 50; b++)
      repo.insertMany(Array.from({ length: 100 }, (_, i) => inspection(b * 100 + i)));
    const noImages = { get: () => Promise.reject(new Error('unused')) };
    queries = new InspectionQueries(db, noImages, join(tmp.dir, 'good-candidates'));
    reads = new ReadWorker({
      databaseFile: join(tmp.dir, 'station.db'),
      modelsDir: join(tmp.dir, 'models'),
      candidatesDir: join(tmp.dir, 'good-candidates'),
    });
  });
  afterAll(async () => {
    await reads.close();
    db.close();
    tmp.cleanup();
  });

  it('answers History pages and aggregates like the main-thread queries', async () => {
    const filter = { verdicts: ['FAIL' as const, 'REVIEW' as const], modelId: 'model-a' };
    expect(await reads.call('list', filter, undefined, 50)).toEqual(queries.list(filter, undefined, 50));
    expect(await reads.call('histogram', {}, 20, [], undefined)).toEqual(queries.histogram({}, 20, []));
    expect(await reads.call('yieldOverTime', {}, 'hour')).toEqual(queries.yieldOverTime({}, 'hour'));
    expect(await reads.call('models')).toEqual(queries.models());
    expect(await reads.call('get', 17)).toEqual(queries.get(17));
  });

  it('sees rows committed after it opened its connection', async () => {
    const before = (await reads.call('models')).reduce((n, m) => n + m.inspections, 0);
    repo.insertMany([inspection(90_000), inspection(90_001)]);
    const after = (await reads.call('models')).reduce((n, m) => n + m.inspections, 0);
    expect(after).toBe(before + 2);
  });

  it('streams the full CSV chunk by chunk, identical to the main-thread export', async () => {
    const chunks: string[] = [];
    for await (const c of reads.csvLines({}, 1000)) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('')).toBe([...queries.csvLines({}, 1000)].join(''));
  });

  it('pages the audit trail like the main-thread trail, including rows appended after it opened', async () => {
    const trail = new AuditTrail(db);
    for (let i = 0; i < 30; i++)
      trail.append({ actor: 'qa', action: 'test.entry', entity: `e${i}`, reason: `row ${i}` });
    const first = await reads.call('auditPage', { limit: 10 });
    expect(first).toEqual(trail.list({ limit: 10 }));
    expect(first.rows[0].entity).toBe('e29');
    const older = await reads.call('auditPage', { beforeId: first.nextBeforeId!, limit: 10 });
    expect(older).toEqual(trail.list({ beforeId: first.nextBeforeId!, limit: 10 }));
    trail.append({ actor: 'qa', action: 'test.entry', entity: 'late', reason: 'after' });
    expect((await reads.call('auditPage', { limit: 1 })).rows[0].entity).toBe('late');
  });

  it('reports a bad request as an error without losing the worker', async () => {
    await expect(reads.call('list', { verdicts: ['MAYBE' as never] }, undefined, 10)).rejects.toThrow(
      /Invalid verdict/,
    );
    expect((await reads.call('list', {}, undefined, 1)).rows).toHaveLength(1);
  });
});
