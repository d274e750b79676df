import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSource, HotFolderSource, hotFolderSourceSchema } from '../../../src/main/sources';
import { recorder, sleep, tempDir, until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let folder: string;
beforeEach(() => {
  tmp = tempDir('hotfolder');
  folder = join(tmp.dir, 'in');
  mkdirSync(folder);
});
afterEach(() => tmp.cleanup());

const hot = (over: Record<string, unknown> = {}) =>
  new HotFolderSource('h', hotFolderSourceSchema.parse({ kind: 'hotFolder', folder, pollMs: 40, ...over }));

it('skips files present at start and delivers each new arrival once', async () => {
  writeFileSync(join(folder, 'old.png'), 'old');
  const src = hot();
  const sink = recorder();
  await src.start(sink);
  writeFileSync(join(folder, 'new1.png'), 'new1');
  writeFileSync(join(folder, 'new2.jpg'), 'new2');
  writeFileSync(join(folder, 'readme.txt'), 'not an image');
  await until(() => sink.frames.length >= 2, 'two arrivals');
  await sleep(300); // many more scans: nothing may be delivered twice
  await src.stop();
  // Files are delivered as each becomes complete; a scan can catch new1.png while it is still
  // empty (being written), so the two may arrive in either order, but each exactly once.
  const got = sink.frames.map((f) => `${f.name}=${(f.image as Buffer).toString()}`).sort();
  expect(got).toEqual(['new1.png=new1', 'new2.jpg=new2']);
  expect(src.state().kind).toBe('stopped');
});

it('processes files already present when asked to', async () => {
  writeFileSync(join(folder, 'a2.png'), 'a2');
  writeFileSync(join(folder, 'a10.png'), 'a10');
  const src = hot({ skipExisting: false });
  const sink = recorder();
  await src.start(sink);
  await until(() => sink.frames.length >= 2, 'both files');
  await src.stop();
  expect(sink.frames.map((f) => f.name)).toEqual(['a2.png', 'a10.png']);
});

it('waits for a file that is still being written and reads it complete', async () => {
  // Stability window: 2 scans over ≥ 2 × 80 ms. Watch events fire on every append.
  const src = hot({ pollMs: 80, stableScans: 2 });
  const sink = recorder();
  await src.start(sink);
  const full = Buffer.alloc(64 * 1024, 7);
  const path = join(folder, 'part.png');
  writeFileSync(path, full.subarray(0, 32 * 1024)); // the camera SDK writes half,
  await sleep(60); // pauses (shorter than the window),
  expect(sink.frames).toHaveLength(0);
  appendFileSync(path, full.subarray(32 * 1024)); // and writes the rest.
  await until(() => sink.frames.length === 1, 'the completed file');
  await sleep(250);
  await src.stop();
  expect(sink.frames).toHaveLength(1);
  expect((sink.frames[0].image as Buffer).equals(full)).toBe(true);
});

it('handles write-to-.tmp-then-rename producers', async () => {
  const src = hot();
  const sink = recorder();
  await src.start(sink);
  const tmpPath = join(folder, 'shot.png.tmp');
  writeFileSync(tmpPath, 'partial');
  await sleep(150);
  expect(sink.frames).toHaveLength(0); // temp names are never taken
  appendFileSync(tmpPath, '+rest');
  renameSync(tmpPath, join(folder, 'shot.png'));
  await until(() => sink.frames.length === 1, 'the renamed file');
  expect((sink.frames[0].image as Buffer).toString()).toBe('partial+rest');
  await src.stop();
});

it('waits while the folder is missing and resumes when it returns', async () => {
  const src = hot();
  const sink = recorder();
  await src.start(sink);
  writeFileSync(join(folder, 'a.png'), 'a');
  await until(() => sink.frames.length === 1, 'first file');
  rmSync(folder, { recursive: true });
  await until(() => src.state().kind === 'waiting', 'waiting state');
  expect(src.state().message).toMatch(/does not exist/);
  expect(sink.errors.filter((e) => e.recoverable)).toHaveLength(1); // reported once, not every poll
  await sleep(120);
  mkdirSync(folder);
  writeFileSync(join(folder, 'b.png'), 'b');
  await until(() => sink.frames.length === 2, 'file after the folder returned');
  expect(src.state().kind).toBe('running');
  expect(sink.frames[1].name).toBe('b.png');
  await src.stop();
});

it('moves or deletes files after reading when configured', async () => {
  const mover = createSource('m', {
    kind: 'hotFolder',
    folder,
    pollMs: 40,
    afterRead: 'move',
    moveTo: 'done',
  });
  const sink = recorder();
  await mover.start(sink);
  writeFileSync(join(folder, 'x.png'), 'x');
  await until(() => sink.frames.length === 1, 'moved file');
  // The frame is delivered before the file is moved, so done/ may not exist yet.
  await until(() => existsSync(join(folder, 'done', 'x.png')), 'x in done/');
  await mover.stop();
  expect(readdirSync(folder).filter((n) => n.endsWith('.png'))).toEqual([]);
});

it('delivers a new image written under a name it has seen before', async () => {
  const src = hot();
  const sink = recorder();
  await src.start(sink);
  writeFileSync(join(folder, 'latest.png'), 'first');
  await until(() => sink.frames.length === 1, 'first image');
  await sleep(30);
  writeFileSync(join(folder, 'latest.png'), 'second!');
  await until(() => sink.frames.length === 2, 'second image under the same name');
  expect((sink.frames[1].image as Buffer).toString()).toBe('second!');
  await src.stop();
});

// Issue 13 item 5: a writer pausing 0.6 s between chunks used to have its half-written PNG read
// (a false corrupt frame); the end marker now says the file is not complete yet.
it('does not read a PNG whose writer pauses between chunks, and reads it once complete', async () => {
  const sharp = (await import('sharp')).default;
  const pixels = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 251;
  const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const src = hot({ pollMs: 100 });
  const sink = recorder();
  await src.start(sink);
  const file = join(folder, 'slow.png');
  const third = Math.ceil(png.length / 3);
  writeFileSync(file, png.subarray(0, third));
  await sleep(600);
  appendFileSync(file, png.subarray(third, 2 * third));
  await sleep(600);
  appendFileSync(file, png.subarray(2 * third));
  await until(() => sink.frames.length >= 1, 'the complete file');
  await sleep(400);
  await src.stop();
  expect(sink.frames).toHaveLength(1);
  expect(Buffer.compare(sink.frames[0].image as Buffer, png)).toBe(0);
});

it('reports an empty file (delivered, so the live loop counts and names it) instead of ignoring it', async () => {
  const { decodeFrame } = await import('../../../src/main/station/frames');
  const src = hot({ incompleteTimeoutMs: 300 });
  const sink = recorder();
  await src.start(sink);
  writeFileSync(join(folder, 'zero.png'), '');
  await until(() => sink.frames.length >= 1, 'the empty file');
  await sleep(300);
  await src.stop();
  expect(sink.frames.map((f) => f.name)).toEqual(['zero.png']);
  await expect(decodeFrame(sink.frames[0].image, 'zero.png')).rejects.toThrow(/zero\.png: the file is empty/);
});

it('gives up waiting on a PNG that stays cut short and delivers it to be reported as truncated', async () => {
  const { decodeFrame } = await import('../../../src/main/station/frames');
  const src = hot({ incompleteTimeoutMs: 300 });
  const sink = recorder();
  await src.start(sink);
  writeFileSync(
    join(folder, 'cut.png'),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]),
  );
  await until(() => sink.frames.length >= 1, 'the truncated file');
  await src.stop();
  await expect(decodeFrame(sink.frames[0].image, 'cut.png')).rejects.toThrow(
    /cut\.png: the file is truncated/,
  );
});

it('refuses a moveTo outside the watched folder', () => {
  for (const moveTo of ['../escaped', 'done/../../x', '/tmp/elsewhere', 'C:\\\\temp', '..', '.']) {
    const parsed = hotFolderSourceSchema.safeParse({ kind: 'hotFolder', folder, afterRead: 'move', moveTo });
    expect(parsed.success, moveTo).toBe(false);
  }
  expect(hotFolderSourceSchema.parse({ kind: 'hotFolder', folder, moveTo: 'done/2026' }).moveTo).toBe(
    'done/2026',
  );
});

it('never moves a file outside the folder even if an unchecked config says so', async () => {
  const config = {
    ...hotFolderSourceSchema.parse({ kind: 'hotFolder', folder, pollMs: 40, afterRead: 'move' }),
  };
  config.moveTo = '../escaped';
  const src = new HotFolderSource('h', config);
  const sink = recorder();
  await src.start(sink);
  writeFileSync(join(folder, 'y.png'), 'y');
  await until(() => sink.errors.some((e) => /not a subfolder/.test(e.message)), 'the refusal');
  await src.stop();
  expect(existsSync(join(tmp.dir, 'escaped'))).toBe(false);
  expect(existsSync(join(folder, 'y.png'))).toBe(true);
});
