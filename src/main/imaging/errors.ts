export type ImageDecodeProblem =
  'unreadable' | 'empty' | 'unsupported' | 'too_large' | 'corrupt' | 'truncated';

/** Every decode failure, whatever the codec, so callers (scan report, live loop) handle one type. */
export class ImageDecodeError extends Error {
  constructor(
    readonly problem: ImageDecodeProblem,
    readonly file: string,
    detail: string,
  ) {
    // Operators must be able to tell "the writer was not finished" from "the file is garbage".
    super(
      `Cannot decode ${file}: ${problem === 'truncated' && !/truncated/i.test(detail) ? `the file is truncated (${detail})` : detail}`,
    );
    this.name = 'ImageDecodeError';
  }
}
