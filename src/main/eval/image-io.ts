// Loading ground truth for evaluation on top of the imaging module's decoder (which handles BMP,
// size limits and clear decode errors).

import { decodeImage } from '../imaging';

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
