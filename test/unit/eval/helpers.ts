// Test helpers: seeded random data (no fixtures), temp folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, type Rng } from '../../../src/main/util/rng';

export function tempDir(prefix = 'station-eval-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function rng(seed: number): Rng {
  return createRng(seed);
}

/** Standard normal from a seeded RNG (Box–Muller). */
export function gauss(r: Rng): number {
  let u = 0;
  while (u === 0) u = r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

/** Random rectangles/blobs as a 0/1 mask. */
export function randomMask(r: Rng, w: number, h: number, nBlobs: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let k = 0; k < nBlobs; k++) {
    const cx = r.int(w);
    const cy = r.int(h);
    const rad = 1 + r.int(Math.max(2, Math.floor(Math.min(w, h) / 6)));
    for (let y = Math.max(0, cy - rad); y < Math.min(h, cy + rad + 1); y++) {
      for (let x = Math.max(0, cx - rad); x < Math.min(w, cx + rad + 1); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) m[y * w + x] = 1;
      }
    }
  }
  return m;
}
