import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetentionSettings } from '@shared/api';
import { openDatabase, type Db } from '../../../src/main/storage/database';
import { ImageStore } from '../../../src/main/storage/image-store';
import { InspectionRepository, type Verdict } from '../../../src/main/storage/inspections';
import { RetainedImageWriter, keepImage, type SaveOutcome } from '../../../src/main/storage/retention';
import { inspection, tempDir } from './helpers';

describe('keepImage', () => {
  const r: RetentionSettings = { keepPassEvery: 4, maxStoreBytes: 1 };
  it('always keeps FAIL and REVIEW, samples PASS 1 in N starting with the first', () => {
    for (let i = 0; i < 20; i++) {
      expect(keepImage('FAIL', i, r)).toBe(true);
      expect(keepImage('REVIEW', i, r)).toBe(true);
    }
    const kept = Array.from({ length: 12 }, (_, i) => keepImage('PASS', i, r));
    expect(kept).toEqual([true, false, false, false, true, false, false, false, true, false, false, false]);
    expect(keepImage('PASS', 7, { keepPassEvery: 1, maxStoreBytes: 1 })).toBe(true);
  });
});

describe('RetainedImageWriter', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let repo: InspectionRepository;
  let store: ImageStore;
  let retention: RetentionSettings;
  let writer: RetainedImageWriter;
  let seq = 0;

  beforeEach(async () => {
    tmp = tempDir();
    db = openDatabase(':memory:');
    repo = new InspectionRepository(db);
    retention = { keepPassEvery: 1, maxStoreBytes: 10_000 };
    store = await ImageStore.open(join(tmp.dir, 'images'), { maxBytes: () => retention.maxStoreBytes });
    writer = new RetainedImageWriter(store, repo, () => retention);
    seq = 0;
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  /** What the station loop does: save files, then record the row whatever happened. */
  async function frame(
    verdict: Verdict,
    bytes = 1000,
    data = randomBytes(bytes),
  ): Promise<{ id: number; out: SaveOutcome }> {
    const out = await writer.save(verdict, { data, ext: 'png' });
    const id = repo.insert(
      inspection(seq++, {
        at: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(),
        verdict,
        imageRef: out.image?.ref ?? null,
        imageSha256: out.image?.sha256 ?? null,
        storeError: out.error ? `${out.error.code}: ${out.error.message}` : null,
      }),
    );
    return { id, out };
  }

  const onDisk = (ref: string | null | undefined) => !!ref && existsSync(store.pathOf(ref));

  it('samples PASS frames and always stores FAIL/REVIEW', async () => {
    retention.keepPassEvery = 3;
    const results = [];
    for (const v of ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS', 'REVIEW'] as Verdict[])
      results.push((await frame(v)).out);
    expect(results.map((o) => o.image !== null)).toEqual([true, false, true, false, true, true]);
    expect(results[1].sampledOut).toBe(true);
    expect(store.totalBytes).toBe(4000);
  });

  it('evicts the oldest PASS images first and never FAIL/REVIEW', async () => {
    const pass1 = await frame('PASS');
    const fail = await frame('FAIL');
    const pass2 = await frame('PASS');
    const review = await frame('REVIEW');
    for (let i = 0; i < 6; i++) await frame('FAIL'); // store now holds exactly 10 000 bytes
    expect(store.totalBytes).toBe(10_000);

    const next = await frame('FAIL', 1500);
    expect(next.out.error).toBeNull();
    // 1500 more bytes need two 1000-byte evictions: both PASS files, oldest first.
    expect(onDisk(pass1.out.image?.ref)).toBe(false);
    expect(onDisk(pass2.out.image?.ref)).toBe(false);
    expect(onDisk(fail.out.image?.ref)).toBe(true);
    expect(onDisk(review.out.image?.ref)).toBe(true);
    expect(repo.get(pass1.id)!.evictedAt).not.toBeNull();
    expect(repo.get(pass1.id)!.imageSha256).toBe(pass1.out.image!.sha256); // provenance kept
    expect(store.totalBytes).toBe(9_500);
  });

  it('evicts only as much as needed', async () => {
    const passes = [];
    for (let i = 0; i < 10; i++) passes.push(await frame('PASS'));
    await frame('FAIL', 1000);
    expect(passes.map((p) => onDisk(p.out.image?.ref))).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('does not delete a file a FAIL row shares with an older PASS row', async () => {
    const same = randomBytes(1000);
    const pass = await frame('PASS', 0, same);
    const fail = await frame('FAIL', 0, same);
    expect(fail.out.image!.ref).toBe(pass.out.image!.ref);
    const otherPass = await frame('PASS');
    for (let i = 0; i < 8; i++) await frame('FAIL');
    expect(store.totalBytes).toBe(10_000);
    const next = await frame('FAIL');
    expect(next.out.error).toBeNull();
    expect(onDisk(fail.out.image!.ref)).toBe(true);
    expect(onDisk(otherPass.out.image!.ref)).toBe(false);
  });

  it('reports a clear quota error when only FAIL/REVIEW images remain; the row is still recorded', async () => {
    for (let i = 0; i < 10; i++) await frame(i % 2 ? 'FAIL' : 'REVIEW');
    const blocked = await frame('FAIL');
    expect(blocked.out.image).toBeNull();
    expect(blocked.out.error?.code).toBe('quota_exceeded');
    expect(blocked.out.error?.message).toMatch(/never evicted/);
    const row = repo.get(blocked.id)!;
    expect(row.imageRef).toBeNull();
    expect(row.storeError).toMatch(/^quota_exceeded/);
    expect(store.totalBytes).toBe(10_000);
  });

  it('turns a full disk into an outcome instead of an exception', async () => {
    const full = await ImageStore.open(join(tmp.dir, 'full'), {
      writeFile: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    });
    const w = new RetainedImageWriter(full, repo, () => retention);
    const out = await w.save('FAIL', { data: randomBytes(10), ext: 'png' });
    expect(out.error?.code).toBe('disk_full');
    expect(out.image).toBeNull();
    // The writer keeps working after a failure.
    const again = await w.save('FAIL', { data: randomBytes(10), ext: 'png' });
    expect(again.error?.code).toBe('disk_full');
  });

  it('stores the heatmap with the image and accounts for both', async () => {
    const out = await writer.save(
      'REVIEW',
      { data: randomBytes(400), ext: 'jpg' },
      { data: randomBytes(200), ext: 'png' },
    );
    expect(out.image?.ref).toMatch(/\.jpg$/);
    expect(out.heatmap?.ref).toMatch(/\.png$/);
    expect(store.totalBytes).toBe(600);
  });
});
