import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { DEFECT_KINDS, renderPart } from '../../../src/main/demo';

const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

it('renders the same part for the same seed, and different parts for different seeds', () => {
  const a = renderPart(42, null, 64);
  expect(sha(renderPart(42, null, 64).data)).toBe(sha(a.data));
  expect(sha(renderPart(43, null, 64).data)).not.toBe(sha(a.data));
  expect([a.width, a.height, a.data.length, a.defect, a.box]).toEqual([64, 64, 64 * 64 * 3, null, null]);
});

it.each(DEFECT_KINDS)('a %s is a visible local change inside its box', (kind) => {
  // Same seed with and without the defect: surface and lighting match, sensor noise does not
  // (the defect's draws shift the noise stream). The change per pixel inside the defect's box
  // must stand well above the change elsewhere, which is noise alone.
  const size = 128;
  const good = renderPart(7, null, size);
  const bad = renderPart(7, kind, size);
  expect(bad.defect).toBe(kind);
  const { x, y, w, h } = bad.box!;
  let inSum = 0;
  let inN = 0;
  let outSum = 0;
  let outN = 0;
  for (let yy = 0; yy < size; yy++)
    for (let xx = 0; xx < size; xx++) {
      const i = (yy * size + xx) * 3;
      const d =
        Math.abs(bad.data[i] - good.data[i]) +
        Math.abs(bad.data[i + 1] - good.data[i + 1]) +
        Math.abs(bad.data[i + 2] - good.data[i + 2]);
      if (xx >= x && xx < x + w && yy >= y && yy < y + h) {
        inSum += d;
        inN++;
      } else {
        outSum += d;
        outN++;
      }
    }
  expect(inN).toBeGreaterThan(20);
  expect(inSum / inN).toBeGreaterThan(2 * (outSum / outN));
});
