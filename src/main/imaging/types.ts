/** Interleaved 8-bit RGB, row-major, no padding: the one pixel format imaging passes around. */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

export function assertRgb(img: RgbImage, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(`${what} has invalid size ${img.width}x${img.height}.`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${what} holds ${img.data.length} bytes; ${img.width}x${img.height} RGB needs ${img.width * img.height * 3}.`,
    );
  }
}
