// Keeps metadata flowing when the data disk fills up. Images are the bulk of what the station
// writes, so below a free-space floor they pause (one state, not one error per frame) while rows
// keep committing; a pre-allocated reserve file is given back to the database the moment SQLite
// reports the disk full, and re-made once space returns.
import { promises as fsp, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const RESERVE_FILE = 'storage-reserve.bin';
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

export interface StorageState {
  imagesPaused: boolean;
  freeBytes: number | null;
  floorBytes: number | null;
  reserveBytes: number;
  /** Operator-facing sentence while something is held back; null when all is well. */
  message: string | null;
}

export interface DiskGuardOptions {
  dir: string;
  /** Floor settings, read live; defaults 1 GiB / 5 %, the smaller one applies. */
  floor?: () => { minFreeBytes?: number; minFreePercent?: number };
  /** Reserve size; default 2 % of the disk, between 1 and 64 MiB. */
  reserveBytes?: number;
  /** Checks at most this often unless forced (statfs is cheap, but not per frame). */
  checkEveryMs?: number;
  /** Tests simulate a full disk here. */
  space?: (dir: string) => Promise<DiskSpace>;
}

async function statfsSpace(dir: string): Promise<DiskSpace> {
  const s = await fsp.statfs(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

export class DiskGuard {
  private paused = false;
  private free: number | null = null;
  private floor: number | null = null;
  private reserve = 0;
  private lastCheck = 0;
  private checking: Promise<boolean> | null = null;
  private readonly reservePath: string;
  private readonly listeners = new Set<(s: StorageState) => void>();

  constructor(private readonly opts: DiskGuardOptions) {
    this.reservePath = join(opts.dir, RESERVE_FILE);
  }

  get imagesPaused(): boolean {
    return this.paused;
  }

  state(): StorageState {
    const message = this.paused
      ? `images paused: disk nearly full (${fmt(this.free)} free, floor ${fmt(this.floor)}); inspection records are still written`
      : null;
    return {
      imagesPaused: this.paused,
      freeBytes: this.free,
      floorBytes: this.floor,
      reserveBytes: this.reserve,
      message,
    };
  }

  /** Called on every change of imagesPaused. */
  onChange(listener: (s: StorageState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads free space (rate-limited unless forced); resolves true when the state changed. */
  refresh(force = false): Promise<boolean> {
    // A forced check must see the disk as it is now, not the answer of one already under way.
    if (this.checking) return force ? this.checking.then(() => this.refresh(true)) : this.checking;
    if (!force && Date.now() - this.lastCheck < (this.opts.checkEveryMs ?? 1000))
      return Promise.resolve(false);
    this.checking = this.check().finally(() => {
      this.checking = null;
      this.lastCheck = Date.now();
    });
    return this.checking;
  }

  /**
   * Gives the reserve back to the file system (synchronous: called between a failed and a retried
   * insert in the same tick). Returns whether there was anything to give.
   */
  releaseReserve(): boolean {
    if (this.reserve === 0) return false;
    try {
      unlinkSync(this.reservePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    this.reserve = 0;
    return true;
  }

  private async check(): Promise<boolean> {
    if (this.reserve === 0 && this.lastCheck === 0) {
      // A reserve left by the previous run still counts as ours.
      this.reserve = await fsp.stat(this.reservePath).then(
        (st) => st.size,
        () => 0,
      );
    }
    let space: DiskSpace;
    try {
      space = await (this.opts.space ?? statfsSpace)(this.opts.dir);
    } catch {
      return false; // statfs unsupported here: never pause on a guess.
    }
    const f = this.opts.floor?.() ?? {};
    const floor = Math.min(f.minFreeBytes ?? GIB, (space.totalBytes * (f.minFreePercent ?? 5)) / 100);
    const want =
      this.opts.reserveBytes ?? Math.min(64 * MIB, Math.max(MIB, Math.floor(space.totalBytes * 0.02)));
    this.free = space.freeBytes;
    this.floor = floor;
    // Hysteresis of 10 % of the floor so a disk hovering at the floor does not flap.
    const paused = this.paused ? space.freeBytes < floor * 1.1 : space.freeBytes < floor;
    if (!paused && this.reserve === 0 && space.freeBytes > floor + want) {
      this.reserve = await this.makeReserve(want);
      if (this.reserve > 0) this.free = space.freeBytes - this.reserve;
    }
    if (paused === this.paused) return false;
    this.paused = paused;
    const s = this.state();
    for (const l of this.listeners) l(s);
    return true;
  }

  private async makeReserve(bytes: number): Promise<number> {
    const chunk = Buffer.alloc(MIB);
    let h: fsp.FileHandle | undefined;
    try {
      h = await fsp.open(this.reservePath, 'w', 0o600);
      for (let written = 0; written < bytes; written += chunk.length) {
        await h.write(chunk, 0, Math.min(chunk.length, bytes - written));
      }
      await h.sync();
      await h.close();
      return bytes;
    } catch {
      await h?.close().catch(() => undefined);
      await fsp.rm(this.reservePath, { force: true }).catch(() => undefined);
      return 0;
    }
  }
}

/** SQLite's own "database or disk is full" (SQLITE_FULL) and raw ENOSPC. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return (
    code === 'SQLITE_FULL' ||
    code === 'ENOSPC' ||
    /disk is full|ENOSPC/i.test(String((err as Error)?.message))
  );
}

function fmt(bytes: number | null): string {
  if (bytes === null) return '?';
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(1)} GiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
