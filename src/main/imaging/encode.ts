// Encoders for stored frames, heatmaps and thumbnails.
import sharp, { type Sharp } from 'sharp';

export interface RawPixels {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

function raw(img: RawPixels): Sharp {
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new RangeError(
      `Pixel buffer holds ${img.data.length} bytes; ${img.width}x${img.height}x${img.channels} needs ${img.width * img.height * img.channels}.`,
    );
  }
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

export function encodeJpeg(img: RawPixels, { quality = 90 }: { quality?: number } = {}): Promise<Buffer> {
  return raw(img).jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** Level 3 by default: stored heatmaps are written per frame and speed beats a few percent of size. */
export function encodePng(
  img: RawPixels,
  { compressionLevel = 3 }: { compressionLevel?: number } = {},
): Promise<Buffer> {
  return raw(img).png({ compressionLevel }).toBuffer();
}
