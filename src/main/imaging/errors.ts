export type ImageDecodeProblem =
  'unreadable' | 'empty' | 'unsupported' | 'too_large' | 'corrupt' | 'truncated';

/** Every decode failure, whatever the codec, so callers (scan report, live loop) handle one type. */
export class ImageDecodeError extends Error {
  constructor(
    readonly problem: ImageDecodeProblem,
    readonly file: string,
    detail: string,
  ) {
    super(`Cannot decode ${file}: ${detail}`);
    this.name = 'ImageDecodeError';
  }
}
