// A full data disk must not stop metadata: images pause below the free-space floor as ONE state,
// rows keep committing (the reserve file is given to the database when SQLite reports it full),
// the state clears when space returns, and no committed-or-held row is lost to a kill.
// Runs on a real 20 MiB tmpfs where mounting is permitted, and with simulated ENOSPC everywhere.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMAGES_PAUSED, ResultLogger, type LoggerHooks } from '../../../src/main/station/logger';
import { DiskGuard, RESERVE_FILE, type StorageState } from '../../../src/main/storage/disk-guard';
import {
  ImageStore,
  InspectionRepository,
  openDatabase,
  type Db,
  type NewInspection,
} from '../../../src/main/storage';

const MIB = 1024 * 1024;
const retention = () => ({ keepPassEvery: 1, maxStoreBytes: 1024 * MIB });

function row(i: number): NewInspection {
  return {
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    source: 'test',
    frameId: `f${i}`,
    modelId: 'm',
    modelVersion: 1,
    rawScore: 1,
    normScore: 0.9,
    verdict: 'FAIL',
    latencyMs: 1,
  };
}
const item = (i: number, size = 50_000) => ({
  row: row(i),
  files: async () => ({
    image: { data: new Uint8Array(size).map((_, k) => (i * 131 + k * 7) & 255), ext: 'jpg' },
    heatmap: { data: new Uint8Array(size / 10).map((_, k) => (i * 17 + k) & 255), ext: 'png' },
  }),
});

interface Recorder {
  hooks: LoggerHooks;
  states: StorageState[];
  storeErrors: string[];
  insertErrors: string[];
}
function recorder(): Recorder {
  const r: Recorder = { states: [], storeErrors: [], insertErrors: [], hooks: undefined as never };
  r.hooks = {
    storeError: (m) => r.storeErrors.push(m),
    insertError: (m) => r.insertErrors.push(m),
    committed: () => undefined,
    timing: () => undefined,
    storageState: (s) => r.states.push(s),
  };
  return r;
}

/** Rows as a fresh process sees them after the logger's process died (no drain, no close). */
function rowsOnDisk(
  file: string,
): Array<{ id: number; store_error: string | null; image_ref: string | null }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, store_error, image_ref FROM inspections ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

describe('disk pressure with simulated ENOSPC', () => {
  let dir: string;
  let db: Db;
  let free: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'station-diskfull-'));
    db = openDatabase(join(dir, 'station.db'));
    free = 10 * 1024 * MIB;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pauses images once below the floor, keeps committing rows, resumes when space returns', async () => {
    const guard = new DiskGuard({
      dir,
      reserveBytes: MIB,
      checkEveryMs: 0,
      space: async () => ({ freeBytes: free, totalBytes: 100 * 1024 * MIB }),
    });
    await guard.refresh(true);
    expect(existsSync(join(dir, RESERVE_FILE))).toBe(true);
    const rec = recorder();
    const repo = new InspectionRepository(db);
    const store = await ImageStore.open(join(dir, 'images'));
    const logger = new ResultLogger(repo, store, retention, rec.hooks, {
      flushMs: 60_000,
      flushRows: 10,
      guard,
    });

    free = 200 * MIB; // below min(1 GiB, 5 % of 100 GiB)
    await guard.refresh(true);
    for (let i = 0; i < 30; i++) await logger.enqueue(item(i));
    await logger.drain();
    expect(rec.states).toHaveLength(1);
    expect(rec.states[0]).toMatchObject({ imagesPaused: true });
    expect(rec.states[0].message).toMatch(/^images paused: disk nearly full/);
    expect(rec.storeErrors).toEqual([]);
    const paused = rowsOnDisk(join(dir, 'station.db'));
    expect(paused).toHaveLength(30);
    expect(paused.every((r) => r.store_error === IMAGES_PAUSED && r.image_ref === null)).toBe(true);

    free = 5 * 1024 * MIB;
    await guard.refresh(true);
    expect(rec.states).toHaveLength(2);
    expect(rec.states[1]).toMatchObject({ imagesPaused: false, message: null });
    await logger.enqueue(item(100));
    await logger.drain();
    expect(rowsOnDisk(join(dir, 'station.db')).at(-1)?.image_ref).toMatch(/\.jpg$/);
  });

  it('gives the reserve to the database on SQLITE_FULL and commits the batch at once', async () => {
    const guard = new DiskGuard({
      dir,
      reserveBytes: MIB,
      checkEveryMs: 0,
      space: async () => ({ freeBytes: free, totalBytes: 100 * 1024 * MIB }),
    });
    await guard.refresh(true);
    const repo = new InspectionRepository(db);
    const real = repo.insertMany.bind(repo);
    let full = true;
    repo.insertMany = (rows) => {
      // The file system is full until the reserve is deleted.
      full = existsSync(join(dir, RESERVE_FILE));
      if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return real(rows);
    };
    const rec = recorder();
    const store = await ImageStore.open(join(dir, 'images'));
    const logger = new ResultLogger(repo, store, retention, rec.hooks, {
      flushMs: 60_000,
      flushRows: 5,
      guard,
    });
    for (let i = 0; i < 5; i++) await logger.enqueue(item(i, 1000));
    await logger.drain();
    // Committed by the flush that hit the full disk: nothing is held in memory for a kill to lose.
    expect(full).toBe(false);
    expect(logger.depth).toBe(0);
    expect(rowsOnDisk(join(dir, 'station.db'))).toHaveLength(5);
    expect(rec.insertErrors).toEqual([]);
  });
});

// ---- real small file system ----
const mountPoint = mkdtempSync(join(tmpdir(), 'station-tmpfs-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  const why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
  console.warn(`Skipping the real-tmpfs disk-full test: mount -t tmpfs was refused (${why}).`);
}

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('disk pressure on a real 20 MiB tmpfs', () => {
  it('fills the disk: images pause once, every row commits, the state clears after space returns', async () => {
    const dir = join(mountPoint, 'data');
    const db = openDatabase(join(mountPoint, 'station.db'));
    try {
      const guard = new DiskGuard({
        dir: mountPoint,
        reserveBytes: 2 * MIB,
        checkEveryMs: 0,
        floor: () => ({ minFreeBytes: 4 * MIB, minFreePercent: 50 }),
      });
      await guard.refresh(true);
      expect(existsSync(join(mountPoint, RESERVE_FILE))).toBe(true);
      const rec = recorder();
      const repo = new InspectionRepository(db);
      const store = await ImageStore.open(dir);
      const logger = new ResultLogger(repo, store, retention, rec.hooks, {
        flushMs: 60_000,
        flushRows: 10,
        guard,
      });

      // Another process eats the disk to the last byte.
      const filler = join(mountPoint, 'filler.bin');
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(256 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        for (;;) {
          try {
            writeSync(fd, Buffer.alloc(4096, 1));
          } catch {
            break;
          }
        }
      } finally {
        closeSync(fd);
      }

      for (let i = 0; i < 40; i++) await logger.enqueue(item(i));
      await logger.drain();
      expect(rec.states.filter((s) => s.imagesPaused)).toHaveLength(1);
      expect(rec.states[0].message).toMatch(/images paused: disk nearly full/);
      expect(rec.storeErrors).toEqual([]);
      expect(existsSync(join(mountPoint, RESERVE_FILE))).toBe(false); // given to the database
      expect(logger.depth).toBe(0);
      expect(rowsOnDisk(join(mountPoint, 'station.db'))).toHaveLength(40);

      rmSync(filler);
      await guard.refresh(true);
      expect(rec.states.at(-1)).toMatchObject({ imagesPaused: false, message: null });
      await logger.enqueue(item(500));
      await logger.drain();
      expect(rowsOnDisk(join(mountPoint, 'station.db')).at(-1)?.image_ref).toMatch(/\.jpg$/);
    } finally {
      db.close();
    }
  });
});
