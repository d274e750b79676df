// The training-set fingerprint recorded in model.json and the models table: it says which good
// images a package learnt from, whatever their names or order.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ImageInput } from '../../models/preprocess';

async function imageHash(img: ImageInput): Promise<string> {
  const h = createHash('sha256');
  if (typeof img === 'string') h.update(await readFile(img));
  else if (img instanceof Uint8Array) h.update(img);
  else h.update(`${img.width}x${img.height}x${img.channels}:`).update(img.data);
  return h.digest('hex');
}

/** sha256 over the sorted per-image sha256s: independent of file names and order. */
export async function trainingFingerprint(images: ImageInput[]): Promise<string> {
  const hashes: string[] = [];
  for (const img of images) hashes.push(await imageHash(img));
  hashes.sort();
  return createHash('sha256').update(hashes.join('\n')).digest('hex');
}
