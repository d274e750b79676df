import { describe, expect, it } from 'vitest';
import { resize, resizeShorterCenterCrop } from '../../../src/main/imaging/transform';
import type { RgbImage } from '../../../src/main/imaging/types';
import { checkerboard, gradient, pixel } from './helpers';

/** Column x holds value x (mod 256) in every channel: crop offsets can be read off the pixels. */
function columns(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(x % 256, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, channels: 3, data };
}

describe('resize', () => {
  it('produces the exact requested size and keeps a flat image flat', async () => {
    const flat: RgbImage = { width: 50, height: 30, channels: 3, data: new Uint8Array(50 * 30 * 3).fill(77) };
    for (const kernel of ['linear', 'lanczos3', 'nearest'] as const) {
      const out = await resize(flat, 17, 41, { kernel });
      expect(out).toMatchObject({ width: 17, height: 41, channels: 3 });
      expect(out.data.length).toBe(17 * 41 * 3);
      expect(new Set(out.data)).toEqual(new Set([77]));
    }
  });

  it('downscaling a 1-pixel checkerboard with (antialiased) bilinear averages it to grey', async () => {
    const out = await resize(checkerboard(8, 8, 1), 4, 4, { kernel: 'linear' });
    // Border pixels see the clamped edge, as in PIL's BILINEAR; the interior is the exact mean.
    for (let y = 1; y < 3; y++)
      for (let x = 1; x < 3; x++) expect(Math.abs(pixel(out, x, y)[0] - 128)).toBeLessThanOrEqual(1);
    const nearest = await resize(checkerboard(8, 8, 1), 4, 4, { kernel: 'nearest' });
    expect(new Set(nearest.data).size).toBe(1);
  });

  it('preserves orientation (left stays left, top stays top)', async () => {
    const out = await resize(gradient(64, 32), 32, 16);
    expect(pixel(out, 0, 0)[0]).toBeLessThan(pixel(out, 31, 0)[0]);
    expect(pixel(out, 0, 0)[1]).toBeLessThan(pixel(out, 0, 15)[1]);
  });

  it('returns a copy when the size already matches', async () => {
    const src = gradient(5, 5);
    const out = await resize(src, 5, 5);
    expect(out.data).toEqual(src.data);
    expect(out.data).not.toBe(src.data);
  });
});

describe('resizeShorterCenterCrop (256 → 224 recipe)', () => {
  it('landscape: shorter side to 256, centred 224 crop', async () => {
    // 512x256 needs no scaling, so the crop offset (144) is visible in the values.
    const out = await resizeShorterCenterCrop(columns(512, 256), {
      shorter: 256,
      crop: 224,
      kernel: 'nearest',
    });
    expect(out).toMatchObject({ width: 224, height: 224 });
    expect(pixel(out, 0, 0)[0]).toBe(144);
    expect(pixel(out, 223, 100)[0]).toBe((144 + 223) % 256);
  });

  it('portrait: scales then crops vertically around the centre', async () => {
    const src = gradient(300, 600);
    const out = await resizeShorterCenterCrop(src, { shorter: 256, crop: 224 });
    expect(out).toMatchObject({ width: 224, height: 224 });
    // Green encodes y; the centre row of the crop sits at the centre of the source.
    const mid = pixel(out, 112, 112)[1];
    expect(Math.abs(mid - 128)).toBeLessThanOrEqual(3);
    // 600 scaled by 256/300 → 512 rows; the crop spans rows 144..367 of 512.
    expect(Math.abs(pixel(out, 112, 0)[1] - (144 / 511) * 255)).toBeLessThanOrEqual(3);
  });

  it('refuses a crop larger than the resized image', async () => {
    await expect(resizeShorterCenterCrop(gradient(10, 10), { shorter: 8, crop: 9 })).rejects.toThrow(
      RangeError,
    );
  });
});
