// Camera / stream / video file source through an ffmpeg child process: ffmpeg opens the device
// (V4L2, DirectShow, AVFoundation), URL or file, converts to rgb24 at the requested size and rate,
// and writes raw frames to a pipe. One process per source keeps codec and driver crashes out of
// the station process; when it dies or stalls, it is restarted with exponential back-off.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CameraInput, CameraSourceConfig } from './config';
import { StateCell, type FrameSink, type FrameSource, type SourceState } from './types';

type Platform = NodeJS.Platform;

/** ffmpeg on PATH first (the system one usually has the most device/codec support), then the bundled binary. */
export function resolveFfmpegPath(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = process.platform,
): string | null {
  if (explicit) return existsSync(explicit) ? explicit : null;
  const exe = platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, exe);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  try {
    // Optional dependency: may be absent, so it is looked up at run time rather than imported.
    const req = createRequire(__filename);
    const path = (req('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    // Inside an Electron asar archive the binary is unpacked next to it; it cannot run from inside.
    const unpacked = path.replace(
      `app.asar${platform === 'win32' ? '\\' : '/'}`,
      `app.asar.unpacked${platform === 'win32' ? '\\' : '/'}`,
    );
    return existsSync(unpacked) ? unpacked : existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function inputArgs(input: CameraInput, cfg: CameraSourceConfig, platform: Platform): string[] {
  switch (input.type) {
    case 'device': {
      if (platform === 'win32') {
        const dev = input.device.startsWith('video=') ? input.device : `video=${input.device}`;
        // DirectShow rejects a size/rate the camera does not offer, so the device runs in its
        // default mode and the output filter converts.
        return ['-f', input.inputFormat ?? 'dshow', '-i', dev];
      }
      if (platform === 'darwin') return ['-f', input.inputFormat ?? 'avfoundation', '-i', input.device];
      // V4L2 negotiates the nearest mode to what is asked, so asking costs nothing and saves a rescale.
      return [
        '-f',
        input.inputFormat ?? 'v4l2',
        '-framerate',
        String(cfg.fps),
        '-video_size',
        `${cfg.width}x${cfg.height}`,
        '-i',
        input.device,
      ];
    }
    case 'url':
      return [...(/^rtsps?:/i.test(input.url) ? ['-rtsp_transport', 'tcp'] : []), '-i', input.url];
    case 'file':
      // -re paces a file at its own frame rate, as a camera would deliver it.
      return [
        ...(input.loop ? ['-stream_loop', '-1'] : []),
        ...(input.realtime ? ['-re'] : []),
        '-i',
        input.path,
      ];
    case 'lavfi':
      // lavfi generators run as fast as they can unless paced.
      return ['-re', '-f', 'lavfi', '-i', input.graph];
  }
}

/** The full ffmpeg argument list: any input → rgb24 frames of exactly width × height on stdout. */
export function ffmpegArgs(cfg: CameraSourceConfig, platform: Platform = process.platform): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    ...inputArgs(cfg.input, cfg, platform),
    '-an',
    '-sn',
    '-vf',
    `fps=${cfg.fps},scale=${cfg.width}:${cfg.height}:flags=bilinear,format=rgb24`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

export function describeInput(input: CameraInput): string {
  switch (input.type) {
    case 'device':
      return `camera:${input.device}`;
    case 'url':
      // Credentials in stream URLs (rtsp://user:pass@host) must not reach logs or the UI.
      return `stream:${input.url.replace(/\/\/[^/@]*@/, '//***@')}`;
    case 'file':
      return `video:${input.path}`;
    case 'lavfi':
      return `lavfi:${input.graph}`;
  }
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

export class FfmpegSource implements FrameSource {
  readonly label: string;
  private readonly cell = new StateCell();
  private readonly frameBytes: number;
  private child: Child | null = null;
  private exited: Promise<void> | null = null;
  private running = false;
  private sink: FrameSink | null = null;
  private seq = 0;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastDataAt = 0;
  /** When the current ffmpeg process was spawned: the open timeout counts from here. */
  private spawnedAt = 0;
  private stderrTail = '';
  private stalled = false;
  /** Frames delivered by the current ffmpeg process. */
  private framesThisRun = 0;
  private partial: Buffer;
  private filled = 0;

  constructor(
    readonly id: string,
    private readonly config: CameraSourceConfig,
    private readonly platform: Platform = process.platform,
  ) {
    this.label = describeInput(config.input);
    this.frameBytes = config.width * config.height * 3;
    this.partial = Buffer.allocUnsafe(this.frameBytes);
  }

  state(): SourceState {
    return this.cell.get();
  }

  async start(sink: FrameSink): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.sink = sink;
    this.cell.attach(sink);
    this.attempt = 0;
    this.spawnOnce();
    const check = Math.max(
      100,
      Math.min(1000, Math.min(this.config.stallTimeoutMs, this.config.openTimeoutMs) / 4),
    );
    this.watchdog = setInterval(() => this.checkStall(), check);
  }

  async stop(): Promise<void> {
    if (!this.running && !this.child) return;
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.reconnectTimer = null;
    this.watchdog = null;
    await this.kill();
    this.cell.set('stopped', 'stopped');
    this.cell.attach(null);
    this.sink = null;
  }

  /** Pid of the running ffmpeg (tests use it to simulate a crash). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private spawnOnce(): void {
    const bin = resolveFfmpegPath(this.config.ffmpegPath);
    if (!bin) {
      const msg = this.config.ffmpegPath
        ? `ffmpeg not found at ${this.config.ffmpegPath}`
        : 'ffmpeg not found: install it on PATH or the @ffmpeg-installer/ffmpeg package';
      this.cell.set('error', msg);
      this.sink?.error({ message: msg, recoverable: false });
      this.running = false;
      return;
    }
    this.filled = 0;
    this.framesThisRun = 0;
    this.stderrTail = '';
    this.stalled = false;
    this.lastDataAt = Date.now();
    this.spawnedAt = this.lastDataAt;
    if (this.cell.get().kind !== 'reconnecting') this.cell.set('waiting', `opening ${this.label}`);
    const child = spawn(bin, ffmpegArgs(this.config, this.platform), {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-2000);
    });
    this.exited = new Promise<void>((resolve) => {
      let spawnError: Error | null = null;
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        if (this.child === child) this.child = null;
        resolve();
        this.onExit(code, signal, spawnError);
      };
      child.on('error', (e) => {
        spawnError = e;
        // A process that never started emits no 'close' on every Node version.
        if (child.pid === undefined) finish(null, null);
      });
      child.on('close', (code, signal) => finish(code, signal));
    });
  }

  private onData(chunk: Buffer): void {
    this.lastDataAt = Date.now();
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.frameBytes - this.filled, chunk.length - off);
      chunk.copy(this.partial, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === this.frameBytes) {
        const data = this.partial;
        // Each frame owns its buffer: it is queued and may outlive the next pipe read.
        this.partial = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
        this.deliver(data);
      }
    }
  }

  private deliver(data: Buffer): void {
    if (!this.running) return;
    this.framesThisRun += 1;
    if (this.framesThisRun === 1) {
      this.attempt = 0;
      this.cell.set(
        'running',
        `${this.label} ${this.config.width}×${this.config.height} @ ${this.config.fps} fps`,
      );
    }
    this.sink?.frame({
      id: `${this.id}:${++this.seq}`,
      at: new Date().toISOString(),
      source: this.label,
      streamTime: (this.framesThisRun - 1) / this.config.fps,
      image: {
        width: this.config.width,
        height: this.config.height,
        channels: 3,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      },
    });
  }

  private checkStall(): void {
    if (!this.running || !this.child || this.stalled) return;
    const now = Date.now();
    // Opening (RTSP handshake, a USB camera powering up) can take seconds and is bounded by its
    // own timeout; the stall timeout only applies once the stream has delivered a frame.
    const why =
      this.framesThisRun === 0
        ? now - this.spawnedAt > this.config.openTimeoutMs
          ? `no first frame within ${this.config.openTimeoutMs} ms of opening`
          : null
        : now - this.lastDataAt > this.config.stallTimeoutMs
          ? `no data for ${this.config.stallTimeoutMs} ms`
          : null;
    if (why) {
      // A hung RTSP session or a camera that stopped streaming without closing: ffmpeg may wait
      // forever, so the watchdog ends it and the exit path reconnects.
      this.stalled = true;
      this.stderrTail += `\n${why}`;
      this.child.kill('SIGKILL');
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | null): void {
    if (!this.running) return;
    if (spawnError && (spawnError as NodeJS.ErrnoException).code === 'ENOENT') {
      const msg = `cannot start ffmpeg: ${spawnError.message}`;
      this.running = false;
      if (this.watchdog) clearInterval(this.watchdog);
      this.cell.set('error', msg);
      this.sink?.error({ message: msg, recoverable: false });
      return;
    }
    const input = this.config.input;
    if (input.type === 'file' && !input.loop && code === 0 && !this.stalled) {
      this.running = false;
      if (this.watchdog) clearInterval(this.watchdog);
      this.cell.set('stopped', `end of ${input.path}`);
      return;
    }
    const why =
      this.stderrTail.trim().split('\n').filter(Boolean).slice(-2).join(' | ') ||
      (signal ? `ffmpeg ended by ${signal}` : `ffmpeg exited with code ${code}`);
    const delay = Math.min(this.config.reconnectMaxMs, this.config.reconnectMinMs * 2 ** this.attempt);
    this.attempt += 1;
    const msg = `${this.label} dropped (${why}); reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${this.attempt})`;
    this.cell.set('reconnecting', msg);
    this.sink?.error({ message: msg, recoverable: true });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.running) this.spawnOnce();
    }, delay);
  }

  /** SIGTERM lets ffmpeg release the device cleanly; SIGKILL if it does not exit in 2 s. */
  private async kill(): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    if (timer) clearTimeout(timer);
    if (this.child === child) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

// ---------------- device listing ----------------

export interface CameraFormat {
  /** e.g. yuyv422, mjpeg. */
  pixelFormat: string;
  compressed: boolean;
  /** e.g. ["640x480", "1280x720"]; empty when the driver lists none. */
  sizes: string[];
}

export interface CameraDevice {
  /** What goes into a camera source config's input.device. */
  device: string;
  name: string;
  inputFormat: 'v4l2' | 'dshow' | 'avfoundation';
  formats: CameraFormat[];
}

/** ffmpeg -f v4l2 -list_formats all: "[video4linux2,v4l2 @ 0x..] Raw : yuyv422 : YUYV 4:2:2 : 640x480 320x240". */
export function parseV4l2Formats(text: string): CameraFormat[] {
  const out: CameraFormat[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /\]\s*(Raw|Compressed)\s*:\s*(\S+)\s*:\s*[^:]*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const sizes = m[3].split(/\s+/).filter((s) => /^\d+x\d+$/.test(s));
    out.push({ pixelFormat: m[2], compressed: m[1] === 'Compressed', sizes });
  }
  return out;
}

/** ffmpeg -list_devices true -f dshow -i dummy: video device names (both old and new output styles). */
export function parseDshowDevices(text: string): string[] {
  const names: string[] = [];
  let section: 'video' | 'audio' | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/DirectShow video devices/i.test(line)) section = 'video';
    else if (/DirectShow audio devices/i.test(line)) section = 'audio';
    if (/Alternative name/i.test(line)) continue;
    const m = /\]\s+"([^"]+)"\s*(\((video|audio|none)\))?/.exec(line);
    if (!m) continue;
    const kind = m[3] ?? section;
    if (kind === 'video') names.push(m[1]);
  }
  return names;
}

/** ffmpeg -f avfoundation -list_devices true -i "": "[AVFoundation indev @ 0x..] [0] FaceTime HD Camera". */
export function parseAvfoundationDevices(text: string): Array<{ index: string; name: string }> {
  const out: Array<{ index: string; name: string }> = [];
  let video = false;
  for (const line of text.split(/\r?\n/)) {
    if (/AVFoundation video devices/i.test(line)) video = true;
    else if (/AVFoundation audio devices/i.test(line)) video = false;
    else if (video) {
      const m = /\]\s*\[(\d+)\]\s*(.+)$/.exec(line);
      if (m) out.push({ index: m[1], name: m[2].trim() });
    }
  }
  return out;
}

/** Runs ffmpeg for a listing; these commands "fail" by design (no output), so only stderr matters. */
function ffmpegStderr(bin: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => undefined);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

/**
 * Cameras this machine offers. Linux: /dev/video* with names from sysfs and formats from ffmpeg
 * (nodes listing no formats are metadata nodes of the same camera and are left out); Windows and
 * macOS: ffmpeg's own device listing.
 */
export async function listCameraDevices(
  opts: { ffmpegPath?: string; platform?: Platform; devDir?: string } = {},
): Promise<CameraDevice[]> {
  const platform = opts.platform ?? process.platform;
  const bin = resolveFfmpegPath(opts.ffmpegPath);
  if (platform === 'linux') {
    const devDir = opts.devDir ?? '/dev';
    let nodes: string[];
    try {
      nodes = (await fsp.readdir(devDir)).filter((n) => /^video\d+$/.test(n));
    } catch {
      return [];
    }
    nodes.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    const out: CameraDevice[] = [];
    for (const node of nodes) {
      const device = join(devDir, node);
      const name = (
        await fsp.readFile(`/sys/class/video4linux/${node}/name`, 'utf8').catch(() => node)
      ).trim();
      const formats = bin
        ? parseV4l2Formats(
            await ffmpegStderr(bin, ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', device]),
          )
        : [];
      if (bin && formats.length === 0) continue;
      out.push({ device, name, inputFormat: 'v4l2', formats });
    }
    return out;
  }
  if (!bin) return [];
  if (platform === 'win32') {
    const text = await ffmpegStderr(bin, [
      '-hide_banner',
      '-list_devices',
      'true',
      '-f',
      'dshow',
      '-i',
      'dummy',
    ]);
    return parseDshowDevices(text).map((name) => ({ device: name, name, inputFormat: 'dshow', formats: [] }));
  }
  if (platform === 'darwin') {
    const text = await ffmpegStderr(bin, [
      '-hide_banner',
      '-f',
      'avfoundation',
      '-list_devices',
      'true',
      '-i',
      '',
    ]);
    return parseAvfoundationDevices(text).map((d) => ({
      device: d.index,
      name: d.name,
      inputFormat: 'avfoundation',
      formats: [],
    }));
  }
  return [];
}
