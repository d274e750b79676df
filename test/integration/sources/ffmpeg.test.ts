// The ffmpeg source against real ffmpeg: its own test pattern, a generated video file, a crash
// of the ffmpeg process mid-stream (reconnect with back-off) and a clean stop.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cameraSourceSchema,
  FfmpegSource,
  resolveFfmpegPath,
  type Frame,
  type FrameSink,
  type RawRgb,
  type SourceErrorInfo,
  type SourceState,
} from '../../../src/main/sources';

const ffmpeg = resolveFfmpegPath();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ffmpeg-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(): FrameSink & { frames: Frame[]; states: SourceState[]; errors: SourceErrorInfo[] } {
  const frames: Frame[] = [];
  const states: SourceState[] = [];
  const errors: SourceErrorInfo[] = [];
  return {
    frames,
    states,
    errors,
    frame: (f) => frames.push(f),
    state: (s) => states.push(s),
    error: (e) => errors.push(e),
  };
}

async function until(fn: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!ffmpeg)('ffmpeg source', () => {
  it('delivers rgb24 frames of the requested size from the lavfi test pattern, and stops cleanly', async () => {
    const cfg = cameraSourceSchema.parse({
      kind: 'camera',
      input: { type: 'lavfi', graph: 'testsrc=size=320x240:rate=10' },
      width: 160,
      height: 120,
      fps: 10,
    });
    const src = new FfmpegSource('cam', cfg);
    const sink = recorder();
    await src.start(sink);
    await until(() => sink.frames.length >= 4, '4 frames');
    const pid = src.pid!;
    expect(src.state().kind).toBe('running');
    const img = sink.frames[0].image as RawRgb;
    expect([img.width, img.height, img.data.length]).toEqual([160, 120, 160 * 120 * 3]);
    // testsrc is a colour pattern: plenty of distinct values, and frames differ (moving counter).
    expect(new Set(img.data).size).toBeGreaterThan(50);
    const later = sink.frames[3].image as RawRgb;
    expect(Buffer.compare(Buffer.from(img.data), Buffer.from(later.data))).not.toBe(0);
    expect(sink.frames.map((f) => f.id)).toEqual(sink.frames.map((_, i) => `cam:${i + 1}`));
    // Stream time at the delivered rate, so a part can be found again in a recording.
    expect(sink.frames.slice(0, 4).map((f) => f.streamTime)).toEqual(
      [0, 0.1, 0.2, 0.3].map((t) => expect.closeTo(t, 9)),
    );
    await src.stop();
    expect(src.state().kind).toBe('stopped');
    expect(src.pid).toBeNull();
    expect(alive(pid)).toBe(false);
    const n = sink.frames.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.frames.length).toBe(n);
  });

  it('reconnects with back-off when ffmpeg dies mid-stream, then frames flow again', async () => {
    const cfg = cameraSourceSchema.parse({
      kind: 'camera',
      input: { type: 'lavfi', graph: 'testsrc=size=160x120:rate=20' },
      width: 80,
      height: 60,
      fps: 20,
      reconnectMinMs: 200,
    });
    const src = new FfmpegSource('cam', cfg);
    const sink = recorder();
    await src.start(sink);
    await until(() => sink.frames.length >= 3, 'first frames');
    const firstPid = src.pid!;
    process.kill(firstPid, 'SIGKILL'); // the device/stream "drops"
    await until(() => sink.states.some((s) => s.kind === 'reconnecting'), 'reconnecting state');
    expect(sink.errors.some((e) => e.recoverable && /reconnecting in 0\.2 s/.test(e.message))).toBe(true);
    const before = sink.frames.length;
    await until(() => sink.frames.length >= before + 3, 'frames after reconnect');
    expect(src.pid).not.toBe(firstPid);
    expect(src.state().kind).toBe('running');
    // Back-off doubles per consecutive failure and resets once frames flow again.
    process.kill(src.pid!, 'SIGKILL');
    await until(() => sink.errors.filter((e) => /reconnecting/.test(e.message)).length >= 2, 'second drop');
    expect(sink.errors.filter((e) => /reconnecting/.test(e.message)).at(-1)!.message).toMatch(
      /in 0\.2 s \(attempt 1\)/,
    );
    await src.stop();
  });

  it('doubles the back-off up to its maximum while the stream stays down', async () => {
    // A file that does not exist: ffmpeg fails at once every time, like an unplugged camera.
    const cfg = cameraSourceSchema.parse({
      kind: 'camera',
      input: { type: 'file', path: join(dir, 'missing.mp4') },
      width: 64,
      height: 48,
      fps: 5,
      reconnectMinMs: 100,
      reconnectMaxMs: 300,
    });
    const src = new FfmpegSource('cam', cfg);
    const sink = recorder();
    await src.start(sink);
    await until(() => sink.errors.length >= 4, 'four failed attempts');
    await src.stop();
    const delays = sink.errors
      .slice(0, 4)
      .map((e) => /in ([\d.]+) s \(attempt (\d+)\)/.exec(e.message)!.slice(1).join('@'));
    expect(delays).toEqual(['0.1@1', '0.2@2', '0.3@3', '0.3@4']);
    expect(sink.errors[0].message).toMatch(/missing\.mp4/);
    expect(sink.frames).toHaveLength(0);
  });

  it.skipIf(process.platform === 'win32')(
    'kills and reconnects a stream that hangs without closing',
    async () => {
      // A FIFO nobody writes to: ffmpeg blocks forever, as on an RTSP session that hangs while
      // opening; the open timeout (not the stall timeout, which starts at the first frame) ends it.
      const fifo = join(dir, 'hang.fifo');
      execFileSync('mkfifo', [fifo]);
      const cfg = cameraSourceSchema.parse({
        kind: 'camera',
        input: { type: 'file', path: fifo, loop: false, realtime: false },
        width: 64,
        height: 48,
        fps: 5,
        stallTimeoutMs: 500,
        openTimeoutMs: 500,
        reconnectMinMs: 100,
      });
      const src = new FfmpegSource('cam', cfg);
      const sink = recorder();
      await src.start(sink);
      const pid = src.pid!;
      await until(() => sink.errors.length >= 1, 'stall detected');
      expect(sink.errors[0].message).toMatch(/no first frame within 500 ms/);
      expect(alive(pid)).toBe(false);
      await until(() => src.pid !== null && src.pid !== pid, 'a new ffmpeg');
      await src.stop();
    },
  );

  it('plays a generated video file to its end without looping', async () => {
    const video = join(dir, 'clip.mkv');
    execFileSync(ffmpeg!, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=96x64:rate=10',
      '-t',
      '1',
      '-c:v',
      'ffv1',
      '-y',
      video,
    ]);
    const cfg = cameraSourceSchema.parse({
      kind: 'camera',
      input: { type: 'file', path: video, loop: false, realtime: false },
      width: 48,
      height: 32,
      fps: 10,
    });
    const src = new FfmpegSource('vid', cfg);
    const sink = recorder();
    await src.start(sink);
    await until(() => src.state().kind === 'stopped', 'end of file');
    expect(sink.frames).toHaveLength(10);
    expect(src.state().message).toMatch(/end of/);
    await src.stop();
  });
});
