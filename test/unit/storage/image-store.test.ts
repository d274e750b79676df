import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore, ImageStoreError, type WriteFileFn } from '../../../src/main/storage/image-store';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
beforeEach(() => {
  tmp = tempDir();
  dir = join(tmp.dir, 'images');
});
afterEach(() => tmp.cleanup());

function allFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

const enospc: WriteFileFn = async () => {
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

describe('ImageStore', () => {
  it('stores by content hash under a two-hex shard and reads it back', async () => {
    const store = await ImageStore.open(dir);
    const data = randomBytes(1000);
    const sha = createHash('sha256').update(data).digest('hex');
    const put = await store.put(data, 'png');
    expect(put).toEqual({ ref: `${sha.slice(0, 2)}/${sha}.png`, sha256: sha, bytes: 1000 });
    expect(allFiles(dir)).toEqual([put.ref]);
    expect(Buffer.compare(await store.get(put.ref), data)).toBe(0);
    expect(store.totalBytes).toBe(1000);
  });

  it('is idempotent for identical content', async () => {
    const store = await ImageStore.open(dir);
    const data = randomBytes(500);
    const a = await store.put(data, 'jpg');
    const b = await store.put(Buffer.from(data), '.JPG');
    expect(b).toEqual(a);
    expect(store.totalBytes).toBe(500);
    expect(allFiles(dir)).toHaveLength(1);
    // Concurrent puts of the same new bytes write once and count once.
    const other = randomBytes(300);
    const [c, d] = await Promise.all([store.put(other, 'png'), store.put(other, 'png')]);
    expect(c).toEqual(d);
    expect(store.totalBytes).toBe(800);
    expect(allFiles(dir)).toHaveLength(2);
  });

  it('counts existing files and removes leftovers of an interrupted write on open', async () => {
    const first = await ImageStore.open(dir);
    const kept = await first.put(randomBytes(300), 'png');
    // What a process killed between write and rename leaves behind.
    const shard = join(dir, kept.ref.slice(0, 2));
    const leftover = `.${'f'.repeat(64)}.${'0'.repeat(16)}.tmp`;
    writeFileSync(join(shard, leftover), randomBytes(123));
    // Files that are not ours are neither counted nor deleted.
    writeFileSync(join(dir, 'README.txt'), 'hello');
    const reopened = await ImageStore.open(dir);
    expect(reopened.totalBytes).toBe(300);
    expect(allFiles(dir)).toEqual(['README.txt', kept.ref].sort());
  });

  it('keeps an in-flight write under a temp name, so a kill at that moment leaves no final file', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let halfWritten!: () => void;
    const midway = new Promise<void>((r) => (halfWritten = r));
    const slow: WriteFileFn = async (handle, data) => {
      const half = Math.floor(data.byteLength / 2);
      await handle.write(data, 0, half, 0);
      halfWritten();
      await gate;
      await handle.write(data, half, data.byteLength - half, half);
    };
    const store = await ImageStore.open(dir, { writeFile: slow });
    const data = randomBytes(4000);
    const sha = createHash('sha256').update(data).digest('hex');
    const ref = `${sha.slice(0, 2)}/${sha}.png`;
    const pending = store.put(data, 'png');
    await midway;
    const during = allFiles(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^[0-9a-f]{2}\/\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp$/);
    expect(existsSync(store.pathOf(ref))).toBe(false);
    release();
    await pending;
    expect(allFiles(dir)).toEqual([ref]);
    expect(Buffer.compare(await store.get(ref), data)).toBe(0);
  });

  it('never exposes a partial file under the final name when a write dies midway', async () => {
    const halfThenCrash: WriteFileFn = async (handle, data) => {
      await handle.write(data, 0, Math.floor(data.byteLength / 2));
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    const store = await ImageStore.open(dir, { writeFile: halfThenCrash });
    const err = await store.put(randomBytes(2000), 'png').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageStoreError);
    expect((err as ImageStoreError).code).toBe('io');
    expect(allFiles(dir)).toEqual([]);
    expect(store.totalBytes).toBe(0);
  });

  it('surfaces a full disk as a typed disk_full error and leaves nothing behind', async () => {
    const store = await ImageStore.open(dir, { writeFile: enospc });
    const err = await store.put(randomBytes(64), 'png').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageStoreError);
    expect((err as ImageStoreError).code).toBe('disk_full');
    expect((err as Error).message).toMatch(/Disk full/);
    expect(allFiles(dir)).toEqual([]);
    expect(store.totalBytes).toBe(0);
  });

  it('enforces a live byte quota before writing', async () => {
    let max = 1500;
    const store = await ImageStore.open(dir, { maxBytes: () => max });
    await store.put(randomBytes(1000), 'png');
    const err = await store.put(randomBytes(1000), 'png').catch((e: unknown) => e);
    expect((err as ImageStoreError).code).toBe('quota_exceeded');
    expect(allFiles(dir)).toHaveLength(1);
    max = 2000;
    await store.put(randomBytes(1000), 'png');
    expect(store.totalBytes).toBe(2000);
  });

  it.each([
    '../../etc/passwd',
    '/etc/passwd',
    'ab/../../secret.png',
    `ab/${'a'.repeat(64)}.png`, // shard does not match the hash prefix
    `${'a'.repeat(2)}/${'a'.repeat(63)}.png`,
    `aa/${'a'.repeat(64)}.exe`,
    `AA/${'A'.repeat(64)}.png`,
    `aa\\${'a'.repeat(64)}.png`,
    `aa/${'a'.repeat(64)}.png/`,
    `aa/${'a'.repeat(64)}.png\0`,
    '',
  ])('refuses the non-ref %j', async (ref) => {
    const store = await ImageStore.open(dir);
    await expect(store.get(ref)).rejects.toMatchObject({ name: 'ImageStoreError', code: 'bad_ref' });
    await expect(store.remove(ref)).rejects.toMatchObject({ code: 'bad_ref' });
    expect(() => store.pathOf(ref)).toThrow(ImageStoreError);
  });

  it('reports a valid but absent ref as not_found', async () => {
    const store = await ImageStore.open(dir);
    await expect(store.get(`aa/${'a'.repeat(64)}.png`)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses unknown extensions', async () => {
    const store = await ImageStore.open(dir);
    await expect(store.put(randomBytes(4), 'sh')).rejects.toMatchObject({ code: 'bad_ref' });
    await expect(store.put(randomBytes(4), '../png')).rejects.toMatchObject({ code: 'bad_ref' });
  });

  it('remove frees the bytes it reports', async () => {
    const store = await ImageStore.open(dir);
    const a = await store.put(randomBytes(700), 'webp');
    expect(await store.remove(a.ref)).toBe(700);
    expect(await store.remove(a.ref)).toBe(0);
    expect(store.totalBytes).toBe(0);
    mkdirSync(join(dir, 'zz'), { recursive: true });
    expect(allFiles(dir)).toEqual([]);
  });
});
