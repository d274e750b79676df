// Hot folder: a camera SDK or PLC writes one image file per part into a folder; each file is
// read once, and only when complete. Completeness: its size and mtime stayed the same over
// `stableScans` consecutive scans spanning at least `stableScans` poll intervals (a writer still
// appending changes them) and, on Windows, it can
// be opened for writing (a writer holding it open makes that fail with EBUSY). Producers that
// write `name.png.tmp` and rename it are handled for free: temp names are not images, and the
// final name appears complete. A stable file whose bytes stop before the format's end marker
// (PNG IEND, JPEG EOI, BMP/WebP declared size), or that is still empty, is a writer pausing
// mid-file: it waits until it completes, or until it has stayed unchanged for
// `incompleteTimeoutMs`, and is then delivered so that the live loop reports it (empty or
// truncated, by name) instead of the folder hiding it. fs.watch only triggers an early scan; a poll timer always runs
// as well, because watch events are lost on network shares and when the folder is recreated.
import { watch, promises as fsp, type Dirent, type FSWatcher, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { naturalCompare } from '../eval/natural-sort';
import { imageCompleteness } from '../imaging/completeness';
import type { HotFolderSourceConfig } from './config';
import { isImageName, StateCell, type FrameSink, type FrameSource, type SourceState } from './types';

interface Pending {
  size: number;
  mtimeMs: number;
  /** Scans that saw this size and mtime. */
  stable: number;
  /** When this size and mtime were first seen (Date.now()). */
  since: number;
  /** Read once at this size and found empty or cut short: wait for it to change or time out. */
  incomplete: boolean;
}

const key = (name: string, size: number, mtimeMs: number): string => `${name}|${size}|${mtimeMs}`;

export class HotFolderSource implements FrameSource {
  readonly label: string;
  private readonly cell = new StateCell();
  private running = false;
  private sink: FrameSink | null = null;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private first = true;
  private seq = 0;
  /** Files seen but not yet complete. */
  private readonly pending = new Map<string, Pending>();
  /**
   * Files already delivered (or skipped at start), keyed by name, size and mtime so that a camera
   * that reuses one file name still gets each new image read. Pruned to what the folder holds,
   * so it never outgrows the folder listing.
   */
  private readonly done = new Set<string>();

  constructor(
    readonly id: string,
    private readonly config: HotFolderSourceConfig,
  ) {
    this.label = `hotfolder:${config.folder}`;
  }

  state(): SourceState {
    return this.cell.get();
  }

  async start(sink: FrameSink): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.sink = sink;
    this.cell.attach(sink);
    this.first = true;
    await this.scan();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeWatcher();
    await this.scanning;
    this.cell.set('stopped', 'stopped');
    this.cell.attach(null);
    this.sink = null;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.scan().finally(() => this.schedule());
    }, this.config.pollMs);
  }

  private openWatcher(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.config.folder, { persistent: false }, () => {
        // Coalesce bursts of events into at most one extra scan; stability still needs the poll.
        if (this.scanning) this.rescan = true;
        else void this.scan();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      // Polling alone still works (e.g. some network file systems refuse watches).
      this.watcher = null;
    }
  }

  private closeWatcher(): void {
    try {
      this.watcher?.close();
    } catch {
      // already closed
    }
    this.watcher = null;
  }

  /** Serialised: a watch event during a scan schedules exactly one follow-up scan. */
  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        try {
          await this.scanOnce();
        } catch (e) {
          // Unexpected (not the folder missing, which scanOnce handles): report and keep polling.
          this.sink?.error({ message: `hot folder scan failed: ${(e as Error).message}`, recoverable: true });
        }
      } while (this.rescan && this.running);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (!this.running) return;
    const dir = this.config.folder;
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.closeWatcher();
      this.pending.clear();
      // Nothing was present at start if the folder was not: everything that appears in it is new.
      this.first = false;
      const why =
        code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : (e as Error).message;
      if (this.cell.get().kind !== 'waiting')
        this.sink?.error({ message: `hot folder ${dir} ${why}; waiting for it`, recoverable: true });
      this.cell.set('waiting', `hot folder ${dir} ${why}; waiting for it to return`);
      return;
    }
    this.openWatcher();
    this.cell.set('running', `watching ${dir}`);

    const names = entries
      .filter((e) => e.isFile() && isImageName(e.name))
      .map((e) => e.name)
      .sort(naturalCompare);
    const present = new Set(names);
    for (const k of this.done) if (!present.has(k.slice(0, k.indexOf('|')))) this.done.delete(k);
    for (const n of this.pending.keys()) if (!present.has(n)) this.pending.delete(n);

    const ready: string[] = [];
    for (const name of names) {
      let st: Stats;
      try {
        st = await fsp.stat(join(dir, name));
      } catch {
        continue; // vanished since readdir (moved by its producer)
      }
      const k = key(name, st.size, st.mtimeMs);
      if (this.done.has(k)) continue;
      if (this.first && this.config.skipExisting) {
        this.done.add(k);
        continue;
      }
      const p = this.pending.get(name);
      const now = Date.now();
      if (!p || p.size !== st.size || p.mtimeMs !== st.mtimeMs) {
        // An empty file is a writer that has created it but not written yet: incomplete.
        this.pending.set(name, {
          size: st.size,
          mtimeMs: st.mtimeMs,
          stable: 0,
          since: now,
          incomplete: st.size === 0,
        });
        continue;
      }
      if (p.incomplete) {
        if (now - p.since >= this.config.incompleteTimeoutMs) ready.push(name);
        continue;
      }
      p.stable += 1;
      // Watch events can trigger scans milliseconds apart, so "unchanged over N scans" alone
      // would take a file the writer is still appending to; it must also stay unchanged for
      // N poll intervals of wall time.
      if (
        p.stable >= this.config.stableScans &&
        now - p.since >= this.config.stableScans * this.config.pollMs
      )
        ready.push(name);
    }
    this.first = false;

    for (const name of ready) {
      if (!this.running) return;
      await this.take(name);
    }
  }

  private async take(name: string): Promise<void> {
    const path = join(this.config.folder, name);
    const p = this.pending.get(name)!;
    let data: Buffer;
    try {
      // 'r+' asks for write access: on Windows a writer that has not closed the file makes this
      // fail with EBUSY, which means "not complete yet". POSIX has no such lock; stability covers it.
      const h = await fsp.open(path, 'r+').catch(async (e: NodeJS.ErrnoException) => {
        if (e.code === 'EBUSY') throw e;
        return fsp.open(path, 'r'); // read-only files are fine to read
      });
      try {
        data = await h.readFile();
      } finally {
        await h.close();
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') {
        p.stable = 0;
        p.since = Date.now();
        return;
      }
      this.pending.delete(name);
      if (code !== 'ENOENT')
        this.sink?.error({
          message: `cannot read ${name}: ${(e as Error).message}`,
          recoverable: true,
          item: name,
        });
      return;
    }
    if (data.length !== p.size) {
      // Grew between the last stat and the read: still being written.
      this.pending.set(name, {
        size: data.length,
        mtimeMs: p.mtimeMs,
        stable: 0,
        since: Date.now(),
        incomplete: false,
      });
      return;
    }
    const cutShort = data.length === 0 || imageCompleteness(data) === 'truncated';
    if (cutShort && Date.now() - p.since < this.config.incompleteTimeoutMs) {
      p.incomplete = true;
      return;
    }
    this.pending.delete(name);
    this.done.add(key(name, p.size, p.mtimeMs));
    this.sink?.frame({
      id: `${this.id}:${++this.seq}`,
      at: new Date().toISOString(),
      source: this.label,
      image: data,
      name,
    });
    await this.afterRead(name);
  }

  private async afterRead(name: string): Promise<void> {
    const path = join(this.config.folder, name);
    try {
      if (this.config.afterRead === 'delete') await fsp.rm(path, { force: true });
      else if (this.config.afterRead === 'move') {
        const target = resolve(this.config.folder, this.config.moveTo);
        // The schema refuses "..", but the check belongs where the path is used too.
        const rel = relative(resolve(this.config.folder), target);
        if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
          throw new Error(`moveTo "${this.config.moveTo}" is not a subfolder of ${this.config.folder}`);
        }
        await fsp.mkdir(target, { recursive: true });
        await fsp.rename(path, join(target, name));
      }
    } catch (e) {
      this.sink?.error({
        message: `could not ${this.config.afterRead} ${name} after reading: ${(e as Error).message}`,
        recoverable: true,
        item: name,
      });
    }
  }
}
