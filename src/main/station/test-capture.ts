// "Test capture": open a source with the operator's settings, wait for its first frame and stop
// it again, so a wrong folder, URL or camera shows up before the running line is switched over.
import { createSource, type SourceConfig } from '../sources';
import type { Frame, SourceErrorInfo } from '../sources/types';
import { decodeFrame, thumbnailJpeg } from './frames';

export class TestCaptureError extends Error {}

export interface TestCapture {
  label: string;
  name: string | null;
  jpeg: Buffer;
  width: number;
  height: number;
  frameWidth: number;
  frameHeight: number;
  elapsedMs: number;
}

/**
 * Never changes the folder it looks at: a hot folder is read including the files already there
 * and nothing is deleted or moved, so testing costs the line no parts.
 */
export function harmlessForTest(config: SourceConfig): SourceConfig {
  if (config.kind === 'hotFolder') return { ...config, skipExisting: false, afterRead: 'keep' };
  if (config.kind === 'replay') return { ...config, fps: 0, loop: false };
  return config;
}

export async function testCapture(config: SourceConfig, timeoutMs = 10_000): Promise<TestCapture> {
  const started = Date.now();
  const source = createSource(`test${started.toString(36)}`, harmlessForTest(config));
  let lastError: SourceErrorInfo | null = null;
  let lastMessage = '';
  let got = false;
  let deliver: (f: Frame) => void = () => undefined;
  const first = new Promise<Frame>((ok) => (deliver = ok));
  // After the first frame a paced source is held back (stop() wakes it), so a large replay
  // folder is not read to the end for one preview.
  const never = new Promise<void>(() => undefined);
  try {
    await source.start({
      frame: (f) => {
        got = true;
        deliver(f);
      },
      state: (s) => {
        if (s.kind === 'error' || s.kind === 'reconnecting' || s.kind === 'waiting') lastMessage = s.message;
      },
      error: (e) => {
        lastError = e;
      },
      ready: () => (got ? never : Promise.resolve()),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((ok) => (timer = setTimeout(() => ok(null), timeoutMs)));
    const frame = await Promise.race([first, timeout]);
    clearTimeout(timer);
    if (!frame) {
      const why = (lastError as SourceErrorInfo | null)?.message ?? lastMessage;
      throw new TestCaptureError(
        `No frame within ${Math.round(timeoutMs / 1000)} s from ${source.label}${why ? `: ${why}` : ''}.`,
      );
    }
    let rgb;
    try {
      rgb = await decodeFrame(frame.image);
    } catch (err) {
      throw new TestCaptureError(`The first frame cannot be read: ${(err as Error).message}`);
    }
    const thumb = await thumbnailJpeg(rgb, 640);
    return {
      label: source.label,
      name: frame.name ?? null,
      jpeg: thumb.data,
      width: thumb.width,
      height: thumb.height,
      frameWidth: rgb.width,
      frameHeight: rgb.height,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await source.stop();
  }
}
