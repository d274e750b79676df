// Source configurations as zod schemas: the API validates requests with these and each source
// receives fully defaulted values.
import { isAbsolute } from 'node:path';
import { z } from 'zod';

const folder = z.string().trim().min(1);

export const replaySourceSchema = z
  .object({
    kind: z.literal('replay'),
    folder,
    /** Frames per second; 0 = as fast as the station inspects (no frame is ever dropped). */
    fps: z.number().min(0).max(1000).default(5),
    loop: z.boolean().default(true),
  })
  .strict();

export const hotFolderSourceSchema = z
  .object({
    kind: z.literal('hotFolder'),
    folder,
    /** Ignore files already in the folder when the source starts (only new arrivals count). */
    skipExisting: z.boolean().default(true),
    /** Scan interval; also the fallback when fs.watch is unavailable (network shares). */
    pollMs: z.number().int().min(20).max(60_000).default(200),
    /**
     * A file is taken once its size and mtime were unchanged for this many consecutive scans
     * after it was first seen: a camera SDK still writing keeps changing them.
     */
    stableScans: z.number().int().min(1).max(20).default(1),
    /**
     * A file that stays empty, or whose bytes stop before the image's end marker, is a writer
     * pausing mid-file; after this long unchanged it is inspected anyway (and reported as empty
     * or truncated).
     */
    incompleteTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /** What to do with a file once read: keep it (the default), delete it, or move it to a subfolder. */
    afterRead: z.enum(['keep', 'delete', 'move']).default('keep'),
    /** A subfolder of `folder`: moving read files anywhere else would let a config write outside it. */
    moveTo: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((v) => !isAbsolute(v) && !/^[a-zA-Z]:/.test(v) && !v.startsWith('\\') && !v.startsWith('/'), {
        message: 'must be a subfolder name, not an absolute path',
      })
      .refine((v) => !v.split(/[\\/]/).some((part) => part === '..' || part === '.'), {
        message: 'must stay inside the watched folder (no "." or ".." parts)',
      })
      .default('done'),
  })
  .strict();

const cameraInput = z.discriminatedUnion('type', [
  /** /dev/videoN (Linux), a DirectShow name (Windows) or an AVFoundation index/name (macOS). */
  z
    .object({
      type: z.literal('device'),
      device: z.string().trim().min(1),
      inputFormat: z.string().trim().min(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('url'),
      url: z
        .string()
        .trim()
        .regex(/^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt):\/\//i, 'rtsp://, http(s):// … URL'),
    })
    .strict(),
  z
    .object({
      type: z.literal('file'),
      path: z.string().trim().min(1),
      loop: z.boolean().default(true),
      realtime: z.boolean().default(true),
    })
    .strict(),
  /** An ffmpeg lavfi graph, e.g. testsrc=size=640x480:rate=10: commissioning without a camera. */
  z.object({ type: z.literal('lavfi'), graph: z.string().trim().min(1) }).strict(),
]);

export const cameraSourceSchema = z
  .object({
    kind: z.literal('camera'),
    input: cameraInput,
    width: z.number().int().min(16).max(8192),
    height: z.number().int().min(16).max(8192),
    fps: z.number().min(0.1).max(240).default(10),
    /** Reconnect back-off: first delay, doubled per failure up to the maximum. */
    reconnectMinMs: z.number().int().min(10).max(60_000).default(500),
    reconnectMaxMs: z.number().int().min(10).max(600_000).default(30_000),
    /** No data for this long after the first frame = the stream hangs: kill ffmpeg and reconnect. */
    stallTimeoutMs: z.number().int().min(500).max(600_000).default(10_000),
    /** From starting ffmpeg to its first frame (RTSP handshakes and cameras waking up are slow). */
    openTimeoutMs: z.number().int().min(500).max(600_000).default(30_000),
    /** Explicit ffmpeg binary; default: ffmpeg on PATH, then @ffmpeg-installer/ffmpeg. */
    ffmpegPath: z.string().trim().min(1).optional(),
  })
  .strict();

export const sourceConfigSchema = z.discriminatedUnion('kind', [
  replaySourceSchema,
  hotFolderSourceSchema,
  cameraSourceSchema,
]);

export type ReplaySourceConfig = z.output<typeof replaySourceSchema>;
export type HotFolderSourceConfig = z.output<typeof hotFolderSourceSchema>;
export type CameraSourceConfig = z.output<typeof cameraSourceSchema>;
export type CameraInput = CameraSourceConfig['input'];
export type SourceConfig = z.output<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;
