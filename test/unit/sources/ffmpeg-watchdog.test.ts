// Issue 13: the stall watchdog counted from process start, so a stream needing 4.5 s to open
// never connected with a 3 s stall timeout. Opening now has its own timeout; the stall timeout
// counts from the first frame. A stand-in "ffmpeg" (a shell script) controls the timing.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cameraSourceSchema, FfmpegSource } from '../../../src/main/sources';
import { recorder, sleep, tempDir, until } from './helpers';

const tmp = tempDir('ffmpeg-watchdog');
afterAll(() => tmp.cleanup());

/** 16×16 rgb24 = 768 bytes a frame. */
function fakeFfmpeg(name: string, script: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const camera = (ffmpegPath: string, extra: Record<string, unknown>) =>
  cameraSourceSchema.parse({
    kind: 'camera',
    input: { type: 'lavfi', graph: 'testsrc' },
    width: 16,
    height: 16,
    fps: 10,
    reconnectMinMs: 100,
    ffmpegPath,
    ...extra,
  });

describe.skipIf(process.platform === 'win32')('ffmpeg watchdog', () => {
  it('connects to a stream that needs longer to open than the stall timeout', async () => {
    // Opens after 2.2 s, then streams a frame every 50 ms; stall timeout 1 s.
    const bin = fakeFfmpeg(
      'slow-open',
      'sleep 2.2\nwhile :; do head -c 768 /dev/zero || exit 0; sleep 0.05; done',
    );
    const src = new FfmpegSource('cam', camera(bin, { stallTimeoutMs: 1000 }));
    const sink = recorder();
    await src.start(sink);
    try {
      await until(() => sink.frames.length >= 3, 'frames from the slow-opening stream', 8000);
      expect(sink.errors.filter((e) => /no data|no first frame/.test(e.message))).toEqual([]);
      expect(src.state().kind).toBe('running');
    } finally {
      await src.stop();
    }
  });

  it('still gives up on a stream that never opens, after the open timeout', async () => {
    const bin = fakeFfmpeg('never-opens', 'exec sleep 30');
    const src = new FfmpegSource('cam', camera(bin, { stallTimeoutMs: 500, openTimeoutMs: 800 }));
    const sink = recorder();
    await src.start(sink);
    try {
      await until(
        () => sink.errors.some((e) => /no first frame within 800 ms/.test(e.message)),
        'the open timeout',
      );
      expect(src.state().kind).toBe('reconnecting');
    } finally {
      await src.stop();
    }
  });

  it('kills a stream that stops after its first frames, after the stall timeout', async () => {
    const bin = fakeFfmpeg('stalls', 'head -c 2304 /dev/zero\nexec sleep 30');
    const src = new FfmpegSource('cam', camera(bin, { stallTimeoutMs: 600 }));
    const sink = recorder();
    await src.start(sink);
    try {
      await until(() => sink.errors.some((e) => /no data for 600 ms/.test(e.message)), 'the stall');
      expect(sink.frames.length).toBeGreaterThanOrEqual(3);
    } finally {
      await src.stop();
    }
    await sleep(50);
  });
});
