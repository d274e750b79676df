// Writes every result: image + heatmap through the retention policy, then the metadata row, rows
// committed in batches (one transaction per ≤ 250 ms or 50 rows: one WAL commit instead of one per
// frame). Order per result: files are stored (fsync + rename) before their row exists, so a row
// never points at a missing file even after kill -9; a kill loses at most the uncommitted batch.
//
// PASS sampling (keepImage, the storage module's policy) is decided here, before encoding: a
// sampled-out PASS frame (9 in 10 by default) costs no JPEG/PNG encoding at all. The writer is
// therefore given keepPassEvery = 1, so it stores every frame it is handed and only enforces the
// quota and eviction.
//
// RetainedImageWriter asks for each row to be inserted before the next save(), because eviction
// looks up FAIL/REVIEW references in the database. Eviction only runs when the store would
// overflow (totalBytes + need > maxStoreBytes), so the batch is flushed before any save that could
// evict while it holds a FAIL/REVIEW row with files: same guarantee, batching kept in the common case.
import type { RetentionSettings } from '@shared/api';
import { isDiskFull, type DiskGuard, type StorageState } from '../storage/disk-guard';
import type { ImageStore } from '../storage/image-store';
import type { InspectionRepository, NewInspection } from '../storage/inspections';
import { keepImage, RetainedImageWriter, type ImageFile } from '../storage/retention';

export interface LogItem {
  row: NewInspection;
  /** Produces the files to store (encoding happens here, off the inference path). */
  /** heatmap undefined: an image-level model (nothing stored, heatmapRef stays null). */
  files: () => Promise<{ image: ImageFile; heatmap?: ImageFile }>;
  /** Called with the row id once committed. */
  onLogged?: (id: number, row: NewInspection) => void;
}

export interface LoggerHooks {
  /** A file that should have been kept could not be (disk full, quota, I/O). */
  storeError(message: string, row: NewInspection): void;
  /** The database refused a batch; rows are kept and retried. */
  insertError(message: string): void;
  committed(count: number): void;
  /**
   * Storage pressure changed: images paused or resumed, or writes recovered after a refused batch.
   * Called once per change (never per frame); message is null when everything is written again.
   */
  storageState?(state: StorageState): void;
  /**
   * Time spent encoding files (post-processing) and storing/inserting (logging). Items report with
   * frames = 1; a batch insert reports its time with frames = 0 so per-frame means stay right.
   */
  timing(encodeMs: number, logMs: number, frames: number): void;
}

export interface ResultLoggerOptions {
  flushMs?: number;
  flushRows?: number;
  /** Items accepted but not yet stored; enqueue() waits beyond this (back-pressure to inference). */
  maxBacklog?: number;
  /** Uncommitted rows kept while the database refuses writes; oldest are given up beyond this. */
  maxPendingRows?: number;
  /** Free-space floor and reserve; without it images are written until the disk refuses them. */
  guard?: DiskGuard;
}

/** storeError text on rows whose images were skipped under the free-space floor. */
export const IMAGES_PAUSED = 'paused: disk nearly full';

export class ResultLogger {
  private readonly flushMs: number;
  private readonly flushRows: number;
  private readonly maxBacklog: number;
  private readonly maxPendingRows: number;
  private chain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private roomWaiters: Array<() => void> = [];
  private pending: Array<{ row: NewInspection; onLogged?: LogItem['onLogged'] }> = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly writer: RetainedImageWriter;
  /** PASS frames seen so far, for 1-in-N sampling (the first PASS is kept). */
  private passIndex = 0;
  /** Rows given up because the database kept refusing them (only when the DB itself fails). */
  lostRows = 0;
  private readonly guard: DiskGuard | null;
  /** A batch was refused; the next successful commit reports recovery. */
  private refused = false;

  constructor(
    private readonly repo: InspectionRepository,
    private readonly store: ImageStore,
    private readonly retention: () => RetentionSettings,
    private readonly hooks: LoggerHooks,
    opts: ResultLoggerOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 250;
    this.flushRows = opts.flushRows ?? 50;
    // Each waiting item holds its decoded frame; keep few of them (camera frames can be megabytes).
    this.maxBacklog = opts.maxBacklog ?? 8;
    this.maxPendingRows = opts.maxPendingRows ?? 5000;
    this.writer = new RetainedImageWriter(store, repo, () => ({ ...retention(), keepPassEvery: 1 }));
    this.guard = opts.guard ?? null;
    this.guard?.onChange((s) => this.hooks.storageState?.(s));
  }

  /** The database refused the last batch and has not accepted one since. */
  get refusing(): boolean {
    return this.refused;
  }

  /** Items accepted and not yet committed (stored or waiting for the batch). */
  get depth(): number {
    return this.backlog + this.pending.length;
  }

  /** Accepts a result; resolves once there is room for the next one. */
  async enqueue(item: LogItem): Promise<void> {
    this.backlog += 1;
    this.chain = this.chain
      .then(() => this.handle(item))
      .finally(() => {
        this.backlog -= 1;
        if (this.backlog < this.maxBacklog) {
          const ws = this.roomWaiters;
          this.roomWaiters = [];
          for (const w of ws) w();
        }
      });
    if (this.backlog >= this.maxBacklog) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  /** Waits for everything accepted so far, then commits it. */
  async drain(): Promise<void> {
    await this.chain;
    this.flush();
  }

  close(): Promise<void> {
    return this.drain().finally(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    });
  }

  private async handle(item: LogItem): Promise<void> {
    const t0 = performance.now();
    const row: NewInspection = { ...item.row };
    let keep = keepImage(row.verdict, this.passIndex, this.retention());
    if (row.verdict === 'PASS') this.passIndex += 1;
    if (this.guard) {
      // Not awaited per frame: the check is rate-limited and its result applies from the next frame.
      void this.guard.refresh();
      if (keep && this.guard.imagesPaused) {
        keep = false;
        row.storeError = IMAGES_PAUSED;
      }
    }
    let files: { image: ImageFile; heatmap?: ImageFile } | null = null;
    if (keep) {
      try {
        files = await item.files();
      } catch (e) {
        row.storeError = `encode: ${(e as Error).message}`;
        this.hooks.storeError(row.storeError, row);
      }
    }
    const t1 = performance.now();
    if (files) {
      const need = files.image.data.byteLength + (files.heatmap?.data.byteLength ?? 0);
      if (
        this.store.totalBytes + need > this.retention().maxStoreBytes &&
        this.pending.some((p) => p.row.verdict !== 'PASS' && (p.row.imageRef || p.row.heatmapRef))
      ) {
        this.flush();
      }
      try {
        const out = await this.writer.save(row.verdict, files.image, files.heatmap);
        if (out.image) {
          row.imageRef = out.image.ref;
          row.imageSha256 = out.image.sha256;
        }
        if (out.heatmap) {
          row.heatmapRef = out.heatmap.ref;
          row.heatmapSha256 = out.heatmap.sha256;
        }
        if (out.error) {
          row.storeError = `${out.error.code}: ${out.error.message}`;
          // A full disk is one state (the guard reports it), not an error per frame.
          if (out.error.code === 'disk_full' && this.guard) await this.guard.refresh(true);
          else this.hooks.storeError(row.storeError, row);
        }
      } catch (e) {
        // save() reports store failures in its outcome; anything thrown is unexpected, but the
        // metadata row is written regardless.
        row.storeError = `io: ${(e as Error).message}`;
        this.hooks.storeError(row.storeError, row);
      }
    }
    this.pending.push({ row, onLogged: item.onLogged });
    if (this.pending.length >= this.flushRows) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.flushMs);
    }
    this.hooks.timing(t1 - t0, performance.now() - t1, 1);
  }

  /** Commits pending rows in one transaction. Synchronous: nothing interleaves with it. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    let ids: number[];
    const t0 = performance.now();
    try {
      ids = this.insertWithReserve(batch.map((p) => p.row));
      this.hooks.timing(0, performance.now() - t0, 0);
    } catch (e) {
      // One report per outage; retries stay quiet until the next success.
      if (!this.refused) {
        this.hooks.insertError(`could not write ${batch.length} inspection rows: ${(e as Error).message}`);
      }
      this.refused = true;
      if (batch.length > this.maxPendingRows) {
        this.lostRows += batch.length - this.maxPendingRows;
        this.pending = batch.slice(batch.length - this.maxPendingRows);
      }
      if (!this.timer) {
        this.timer = setTimeout(
          () => {
            this.timer = null;
            this.flush();
          },
          Math.max(1000, this.flushMs),
        );
      }
      return;
    }
    this.pending = [];
    this.hooks.committed(batch.length);
    if (this.refused) {
      this.refused = false;
      this.hooks.storageState?.(
        this.guard?.state() ?? {
          imagesPaused: false,
          freeBytes: null,
          floorBytes: null,
          reserveBytes: 0,
          message: null,
        },
      );
    }
    batch.forEach((p, i) => {
      try {
        p.onLogged?.(ids[i], p.row);
      } catch {
        // Listeners only update UI state; a failing one must not affect logging.
      }
    });
  }

  /** A full disk releases the reserve and retries at once, so rows are committed, not held in memory. */
  private insertWithReserve(rows: NewInspection[]): number[] {
    try {
      return this.repo.insertMany(rows);
    } catch (e) {
      if (!isDiskFull(e) || !this.guard?.releaseReserve()) throw e;
      void this.guard.refresh(true);
      return this.repo.insertMany(rows);
    }
  }
}
