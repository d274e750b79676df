import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSource, ReplaySource, replaySourceSchema } from '../../../src/main/sources';
import { recorder, sleep, tempDir, until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('replay');
  // Natural order must put img2 before img10; non-images are ignored.
  for (const n of ['img10.png', 'img2.png', 'img1.png', 'notes.txt', '.hidden.png'])
    writeFileSync(join(tmp.dir, n), n);
});
afterEach(() => tmp.cleanup());

it('plays images in natural order, loops, and delivers the file bytes', async () => {
  const src = new ReplaySource('r', replaySourceSchema.parse({ kind: 'replay', folder: tmp.dir, fps: 200 }));
  const sink = recorder();
  await src.start(sink);
  await until(() => sink.frames.length >= 7, '7 frames');
  await src.stop();
  expect(sink.frames.slice(0, 7).map((f) => f.name)).toEqual([
    'img1.png',
    'img2.png',
    'img10.png',
    'img1.png',
    'img2.png',
    'img10.png',
    'img1.png',
  ]);
  expect((sink.frames[1].image as Buffer).toString()).toBe('img2.png');
  expect(sink.frames[0].id).toBe('r:1');
  expect(sink.frames[0].source).toBe(`replay:${tmp.dir}`);
  expect(src.state().kind).toBe('stopped');
  const n = sink.frames.length;
  await sleep(50);
  expect(sink.frames.length).toBe(n);
});

it('keeps the requested rate', async () => {
  const src = createSource('r', { kind: 'replay', folder: tmp.dir, fps: 20 });
  const sink = recorder();
  await src.start(sink);
  await sleep(1000);
  await src.stop();
  // 20 fps for 1 s: first frame at t=0, so ~21; allow scheduling slack on a shared machine.
  expect(sink.frames.length).toBeGreaterThanOrEqual(17);
  expect(sink.frames.length).toBeLessThanOrEqual(22);
});

it('stops at the end without loop, and with fps 0 waits for the consumer', async () => {
  let release: () => void = () => undefined;
  let waits = 0;
  const sink = recorder({
    ready: () => {
      waits += 1;
      return new Promise<void>((r) => (release = r));
    },
  });
  const src = createSource('r', { kind: 'replay', folder: tmp.dir, fps: 0, loop: false });
  await src.start(sink);
  await sleep(50);
  expect(sink.frames).toHaveLength(0); // nothing until the consumer is ready
  for (let i = 0; i < 3; i++) {
    await until(() => waits === i + 1, 'a ready() call');
    release();
    await until(() => sink.frames.length === i + 1, `frame ${i + 1}`);
  }
  await until(() => src.state().kind === 'stopped', 'end of replay');
  expect(src.state().message).toMatch(/end of replay \(3 images\)/);
  await src.stop();
});

it('waits for a missing folder and starts when it appears', async () => {
  const folder = join(tmp.dir, 'later');
  const src = createSource('r', { kind: 'replay', folder, fps: 100 });
  const sink = recorder();
  await src.start(sink);
  await until(() => src.state().kind === 'waiting', 'waiting state');
  expect(sink.errors[0].message).toMatch(/cannot read replay folder/);
  mkdirSync(folder);
  writeFileSync(join(folder, 'a.png'), 'a');
  await until(() => sink.frames.length > 0, 'a frame', 5000);
  expect(src.state().kind).toBe('running');
  await src.stop();
});
