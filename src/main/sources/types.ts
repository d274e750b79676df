// One interface for every frame source (replay folder, hot folder, camera/stream via ffmpeg), so
// the live loop has one path whatever produces the frames.

/** Decoded 8-bit RGB, row-major (what ffmpeg's rawvideo rgb24 pipe delivers). */
export interface RawRgb {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

export interface Frame {
  /** Unique within the station's run: `<source id>:<sequence>`. */
  id: string;
  /** ISO time the frame was captured or arrived. */
  at: string;
  /** Human-readable source label, stored with each inspection row. */
  source: string;
  /** Encoded file bytes (PNG, JPEG, BMP …) or decoded RGB. */
  image: Buffer | RawRgb;
  /** File name for folder sources. */
  name?: string;
  /**
   * Streams, cameras and video files: seconds into the stream since it (re)connected, at the
   * delivered frame rate. With the run id and `at` it finds the frame in a recording.
   */
  streamTime?: number;
}

import type { SourceState, SourceStateKind } from '@shared/station';

export type { SourceState, SourceStateKind };

export interface SourceErrorInfo {
  message: string;
  /** Whether the source keeps going after it (a retry is scheduled or the item was skipped). */
  recoverable: boolean;
  /** Frame or file the error concerns, when there is one. */
  item?: string;
}

/** Where a source delivers; the station implements it. */
export interface FrameSink {
  frame(frame: Frame): void;
  state(state: SourceState): void;
  error(error: SourceErrorInfo): void;
  /**
   * Resolves when the consumer has room for another frame. Only sources that can wait for the
   * consumer (a replay folder run "as fast as inspected") use it; a camera cannot be paused.
   */
  ready?(): Promise<void>;
}

export interface FrameSource {
  readonly id: string;
  /** Label stored with each inspection (e.g. "replay:/data/line"). */
  readonly label: string;
  start(sink: FrameSink): Promise<void>;
  /** Idempotent; resolves once no more frames will be delivered and all processes/handles are gone. */
  stop(): Promise<void>;
  state(): SourceState;
}

export { IMAGE_EXTENSIONS, isImageFile as isImageName } from '../imaging/files';

/** Small helper so each source reports state changes only when something changed. */
export class StateCell {
  private current: SourceState = { kind: 'idle', message: 'not started' };
  private sink: FrameSink | null = null;

  attach(sink: FrameSink | null): void {
    this.sink = sink;
  }

  get(): SourceState {
    return this.current;
  }

  set(kind: SourceStateKind, message: string): void {
    if (this.current.kind === kind && this.current.message === message) return;
    this.current = { kind, message };
    this.sink?.state(this.current);
  }
}
