// Frame sources behind one interface; createSource turns a validated config into one.
import { sourceConfigSchema, type SourceConfig, type SourceConfigInput } from './config';
import { FfmpegSource } from './ffmpeg';
import { HotFolderSource } from './hot-folder';
import { ReplaySource } from './replay';
import type { FrameSource } from './types';

export * from './types';
export * from './config';
export { ReplaySource } from './replay';
export { HotFolderSource } from './hot-folder';
export {
  FfmpegSource,
  ffmpegArgs,
  resolveFfmpegPath,
  listCameraDevices,
  parseV4l2Formats,
  parseDshowDevices,
  parseAvfoundationDevices,
  describeInput,
  type CameraDevice,
  type CameraFormat,
} from './ffmpeg';

/** Validates (throws a ZodError with every problem) and builds the source. */
export function createSource(id: string, config: SourceConfigInput | SourceConfig): FrameSource {
  const c = sourceConfigSchema.parse(config);
  switch (c.kind) {
    case 'replay':
      return new ReplaySource(id, c);
    case 'hotFolder':
      return new HotFolderSource(id, c);
    case 'camera':
      return new FfmpegSource(id, c);
  }
}
