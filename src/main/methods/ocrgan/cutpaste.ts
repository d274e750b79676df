// CutPaste negatives for the discriminator: a patch cut from the image, its intensity jittered,
// pasted at another place of the same image. Works on one [3, S, S] image in [−1, 1] in place.
import type { Rng } from '../../util/rng';

export function cutPaste(img: Float32Array, size: number, rng: Rng, area: [number, number]): void {
  const frac = rng.uniform(area[0], area[1]);
  const aspect = Math.exp(rng.uniform(Math.log(0.3), Math.log(1 / 0.3)));
  const total = frac * size * size;
  const h = Math.max(1, Math.min(size - 1, Math.round(Math.sqrt(total * aspect))));
  const w = Math.max(1, Math.min(size - 1, Math.round(Math.sqrt(total / aspect))));
  const sy = rng.int(size - h + 1);
  const sx = rng.int(size - w + 1);
  let dy = rng.int(size - h + 1);
  let dx = rng.int(size - w + 1);
  // Pasting onto itself would be no negative at all: move it at least half a patch away.
  if (Math.abs(dy - sy) < h / 2 && Math.abs(dx - sx) < w / 2) {
    dy = (sy + Math.ceil(h / 2) + rng.int(size - h + 1)) % (size - h + 1);
    dx = (sx + Math.ceil(w / 2) + rng.int(size - w + 1)) % (size - w + 1);
  }
  const gain = rng.uniform(0.8, 1.2);
  const shift = rng.uniform(-0.1, 0.1);
  const plane = size * size;
  const patch = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) patch[(c * h + y) * w + x] = img[c * plane + (sy + y) * size + sx + x];
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = patch[(c * h + y) * w + x] * gain + shift;
        img[c * plane + (dy + y) * size + dx + x] = v < -1 ? -1 : v > 1 ? 1 : v;
      }
}
