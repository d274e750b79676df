// Content-addressed file store for frames and heatmaps. Files are written to a temp name in
// the final directory and renamed only after fsync, so a crash or power cut never leaves a
// partial file under a real name; leftovers of interrupted writes are swept on open.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';

export type ImageStoreErrorCode = 'disk_full' | 'quota_exceeded' | 'bad_ref' | 'not_found' | 'io';

export class ImageStoreError extends Error {
  constructor(
    readonly code: ImageStoreErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ImageStoreError';
  }
}

export interface StoredImage {
  /** `<2 hex>/<sha256>.<ext>`, relative to the store directory. */
  ref: string;
  sha256: string;
  bytes: number;
}

/** The one seam tests use to simulate ENOSPC, EIO and the like. */
export type WriteFileFn = (handle: fsp.FileHandle, data: Uint8Array) => Promise<void>;

export interface ImageStoreOptions {
  /** Live quota; read on every put so settings changes apply without a restart. */
  maxBytes?: () => number;
  writeFile?: WriteFileFn;
}

const EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'tiff', 'bmp', 'bin'] as const;
export type ImageExt = (typeof EXTENSIONS)[number];
const REF_PATTERN = new RegExp(`^([0-9a-f]{2})/(\\1[0-9a-f]{62})\\.(${EXTENSIONS.join('|')})$`);
const TEMP_PATTERN = /^\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp$/;
const SHARD_PATTERN = /^[0-9a-f]{2}$/;

export class ImageStore {
  private total = 0;
  /** Concurrent puts of the same bytes share one write, so the size is counted once. */
  private readonly inFlight = new Map<string, Promise<StoredImage>>();

  private constructor(
    readonly dir: string,
    private readonly options: ImageStoreOptions,
  ) {}

  /** Sweeps temp files from interrupted writes and counts what is stored. */
  static async open(dir: string, options: ImageStoreOptions = {}): Promise<ImageStore> {
    const store = new ImageStore(dir, options);
    await fsp.mkdir(dir, { recursive: true });
    let total = 0;
    for (const shard of await fsp.readdir(dir, { withFileTypes: true })) {
      if (!shard.isDirectory() || !SHARD_PATTERN.test(shard.name)) continue;
      const shardDir = join(dir, shard.name);
      for (const f of await fsp.readdir(shardDir, { withFileTypes: true })) {
        if (!f.isFile()) continue;
        if (TEMP_PATTERN.test(f.name)) {
          await fsp.rm(join(shardDir, f.name), { force: true });
        } else if (REF_PATTERN.test(`${shard.name}/${f.name}`)) {
          total += (await fsp.stat(join(shardDir, f.name))).size;
        }
      }
    }
    store.total = total;
    return store;
  }

  get totalBytes(): number {
    return this.total;
  }

  static isRef(ref: string): boolean {
    return REF_PATTERN.test(ref);
  }

  async put(data: Uint8Array, ext: string): Promise<StoredImage> {
    const e = ext.toLowerCase().replace(/^\./, '');
    if (!(EXTENSIONS as readonly string[]).includes(e)) {
      throw new ImageStoreError('bad_ref', `Unsupported image extension "${ext}".`);
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    const ref = `${sha256.slice(0, 2)}/${sha256}.${e}`;
    const pending = this.inFlight.get(ref);
    if (pending) return pending;
    const write = this.write(data, sha256, ref).finally(() => this.inFlight.delete(ref));
    this.inFlight.set(ref, write);
    return write;
  }

  private async write(data: Uint8Array, sha256: string, ref: string): Promise<StoredImage> {
    const shard = sha256.slice(0, 2);
    const finalPath = join(this.dir, ref);
    if (await exists(finalPath)) return { ref, sha256, bytes: data.byteLength };

    const max = this.options.maxBytes?.();
    if (max !== undefined && this.total + data.byteLength > max) {
      throw new ImageStoreError(
        'quota_exceeded',
        `Image store is full: ${this.total} + ${data.byteLength} bytes exceeds the ${max}-byte limit.`,
      );
    }
    const shardDir = join(this.dir, shard);
    const tmpPath = join(shardDir, `.${sha256}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await fsp.mkdir(shardDir, { recursive: true });
      const handle = await fsp.open(tmpPath, 'wx');
      try {
        await (this.options.writeFile ?? defaultWrite)(handle, data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(tmpPath, finalPath);
      await syncDir(shardDir);
    } catch (err) {
      await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
      throw toStoreError(err, `write ${ref}`);
    }
    this.total += data.byteLength;
    return { ref, sha256, bytes: data.byteLength };
  }

  async get(ref: string): Promise<Buffer> {
    const path = this.pathOf(ref);
    // Only regular files that put() wrote are served: a symbolic link planted in the store (by
    // anyone who can write the data dir) would otherwise expose any file the station can read.
    const refuse = (): ImageStoreError =>
      new ImageStoreError(
        'bad_ref',
        `Image ${ref} is not a regular file in the store (symbolic link refused).`,
      );
    try {
      const [shard, file] = await Promise.all([fsp.lstat(dirname(path)), fsp.lstat(path)]);
      if (!shard.isDirectory() || !file.isFile()) throw refuse();
      // O_NOFOLLOW closes the gap between the check and the open where the platform has it.
      const handle = await fsp.open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw refuse();
      throw toStoreError(err, `read ${ref}`);
    }
  }

  /** Absolute path for a valid ref; the only way a ref becomes a path, so traversal is impossible. */
  pathOf(ref: string): string {
    if (typeof ref !== 'string' || !REF_PATTERN.test(ref)) {
      throw new ImageStoreError('bad_ref', `"${String(ref).slice(0, 120)}" is not an image store reference.`);
    }
    return join(this.dir, ref);
  }

  /** Deletes a file; returns the bytes freed (0 when it was already gone). */
  async remove(ref: string): Promise<number> {
    const path = this.pathOf(ref);
    let size: number;
    try {
      size = (await fsp.stat(path)).size;
      await fsp.rm(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw toStoreError(err, `remove ${ref}`);
    }
    this.total = Math.max(0, this.total - size);
    return size;
  }
}

const defaultWrite: WriteFileFn = async (handle, data) => {
  await handle.writeFile(data);
};

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** Makes the rename itself durable; not supported on every platform (Windows), hence best effort. */
async function syncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    // Directory fsync is an extra guarantee, not a requirement for correctness of the name.
  } finally {
    await h?.close().catch(() => undefined);
  }
}

function toStoreError(err: unknown, what: string): ImageStoreError {
  if (err instanceof ImageStoreError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ImageStoreError('disk_full', `Disk full while trying to ${what}: ${detail}`, err);
  }
  if (code === 'ENOENT') return new ImageStoreError('not_found', `Image not found: ${what}`, err);
  return new ImageStoreError('io', `Could not ${what}: ${detail}`, err);
}
