// Geometric preprocessing shared by training and inference, so both see identical pixels.
import sharp, { type Sharp } from 'sharp';
import { assertRgb, type RgbImage } from './types';

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export async function resize(
  img: RgbImage,
  width: number,
  height: number,
  { kernel = 'linear' }: { kernel?: ResizeKernel } = {},
): Promise<RgbImage> {
  assertRgb(img);
  if (width === img.width && height === img.height) return { ...img, data: img.data.slice() };
  const { data, info } = await fromRgb(img)
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return wrap(data, info.width, info.height);
}

export interface ShorterCropOptions {
  /** Shorter side after resizing (256 in the ImageNet recipe). */
  shorter: number;
  /** Square crop size, or an explicit crop (224 in the ImageNet recipe). */
  crop: number | { width: number; height: number };
  kernel?: ResizeKernel;
}

/** torchvision's Resize(shorter) + CenterCrop(crop), with its rounding, in one pass. */
export async function resizeShorterCenterCrop(img: RgbImage, options: ShorterCropOptions): Promise<RgbImage> {
  assertRgb(img);
  const { shorter, kernel = 'linear' } = options;
  const crop =
    typeof options.crop === 'number' ? { width: options.crop, height: options.crop } : options.crop;
  const landscape = img.width >= img.height;
  const rw = landscape ? Math.floor((shorter * img.width) / img.height) : shorter;
  const rh = landscape ? shorter : Math.floor((shorter * img.height) / img.width);
  if (crop.width > rw || crop.height > rh) {
    throw new RangeError(`Crop ${crop.width}x${crop.height} is larger than the resized ${rw}x${rh} image.`);
  }
  const left = Math.round((rw - crop.width) / 2);
  const top = Math.round((rh - crop.height) / 2);
  const { data, info } = await fromRgb(img)
    .resize(rw, rh, { fit: 'fill', kernel })
    .extract({ left, top, width: crop.width, height: crop.height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return wrap(data, info.width, info.height);
}

export function fromRgb(img: RgbImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

function wrap(data: Buffer, width: number, height: number): RgbImage {
  return { width, height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
