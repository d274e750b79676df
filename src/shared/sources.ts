// Frame-source setup DTOs: what the Source screen offers (cameras found on this PC) and what a
// test capture returns before the operator switches the line over.

export interface CameraFormatDto {
  pixelFormat: string;
  compressed: boolean;
  sizes: string[];
}

export interface CameraDeviceDto {
  /** Goes into a camera source's input.device. */
  device: string;
  name: string;
  inputFormat: 'v4l2' | 'dshow' | 'avfoundation';
  formats: CameraFormatDto[];
}

export interface SourceOptions {
  /** Cameras ffmpeg lists on this PC (empty when there are none or ffmpeg is missing). */
  cameras: CameraDeviceDto[];
  /** The ffmpeg binary cameras, streams and video files run through; null when none was found. */
  ffmpegPath: string | null;
  /** The source the line runs (or last ran), as configured; null on a new station. */
  current: Record<string, unknown> | null;
  platform: string;
}

export interface SourceTestResult {
  /** Label the line would store with each inspection. */
  label: string;
  /** File name for folder sources. */
  name: string | null;
  /** First frame as JPEG (≤ 640 px wide). */
  jpegBase64: string;
  width: number;
  height: number;
  /** Full size of the captured frame. */
  frameWidth: number;
  frameHeight: number;
  /** From start of the source to the first frame. */
  elapsedMs: number;
}
