// Loading ground truth for evaluation on top of the imaging module's decoder (which handles BMP,
// size limits and clear decode errors).

import sharp from 'sharp';
import { decodeImage } from '../imaging';
import { fitToInput, type PreprocessSpec } from '../models/preprocess';

/**
 * Ground-truth mask as 0/1 bytes. Any channel's value > 127 counts as defect: MVTec masks are
 * 0/255 grayscale, but some exports are RGB or anti-aliased by a resize.
 */
export async function readMask(
  path: string,
  expect?: { width: number; height: number },
): Promise<{ mask: Uint8Array; width: number; height: number }> {
  const img = await decodeImage(path);
  if (expect && (img.width !== expect.width || img.height !== expect.height)) {
    throw new Error(`${path}: mask is ${img.width}x${img.height}, image is ${expect.width}x${expect.height}`);
  }
  const n = img.width * img.height;
  const mask = new Uint8Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) mask[p] = d[p * 3] > 127 || d[p * 3 + 1] > 127 || d[p * 3 + 2] > 127 ? 1 : 0;
  return { mask, width: img.width, height: img.height };
}

/**
 * Ground-truth mask (0/1 bytes, crop × crop) taken through the same geometry as the model's input
 * (resize-shorter + centre crop, or the whole frame squashed), nearest-neighbour so it stays
 * binary. `maskPath` null (good images) gives an all-zero mask. The mask must have the image's
 * size: a mask of another size would be stretched onto the wrong pixels.
 */
export async function loadMask(
  maskPath: string | null,
  imagePath: string,
  spec: Pick<PreprocessSpec, 'resize' | 'crop'>,
): Promise<Uint8Array> {
  const s = spec.crop;
  if (!maskPath) return new Uint8Array(s * s);
  const meta = await sharp(imagePath).metadata();
  const img = await decodeImage(maskPath);
  if (img.width !== meta.width || img.height !== meta.height) {
    throw new Error(
      `${maskPath}: mask is ${img.width}x${img.height}, image is ${meta.width ?? '?'}x${meta.height ?? '?'}`,
    );
  }
  const fitted = await fitToInput(img, spec, 'nearest');
  const out = new Uint8Array(s * s);
  const d = fitted.data;
  for (let p = 0; p < out.length; p++)
    out[p] = d[p * 3] > 127 || d[p * 3 + 1] > 127 || d[p * 3 + 2] > 127 ? 1 : 0;
  return out;
}
