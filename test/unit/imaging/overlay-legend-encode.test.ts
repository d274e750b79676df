import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JET, TURBO } from '../../../src/main/imaging/colormap';
import { decodeImage } from '../../../src/main/imaging/decode';
import { encodeJpeg, encodePng } from '../../../src/main/imaging/encode';
import { legendPng } from '../../../src/main/imaging/legend';
import { blendOverlay } from '../../../src/main/imaging/overlay';
import { gradient, maxAbsDiff } from './helpers';

describe('blendOverlay', () => {
  const rgb = new Uint8Array([0, 100, 200, 50, 50, 50]);
  const heat = new Uint8Array([255, 0, 100, 250, 150, 50]);

  it('alpha 0 → image, 1 → heatmap, 0.5 → rounded mean', () => {
    expect([...blendOverlay(rgb, heat, 0)]).toEqual([...rgb]);
    expect([...blendOverlay(rgb, heat, 1)]).toEqual([...heat]);
    expect([...blendOverlay(rgb, heat, 0.5)]).toEqual([128, 50, 150, 150, 100, 50]);
    expect([...blendOverlay(rgb, heat, 0.25)]).toEqual([64, 75, 175, 100, 75, 50]);
  });

  it('weights by a per-pixel mask (uint8 or float)', () => {
    expect([...blendOverlay(rgb, heat, 1, { mask: new Uint8Array([0, 255]) })]).toEqual([
      0, 100, 200, 250, 150, 50,
    ]);
    expect([...blendOverlay(rgb, heat, 1, { mask: new Float32Array([0.5, 0]) })]).toEqual([
      128, 50, 150, 50, 50, 50,
    ]);
    expect([...blendOverlay(rgb, heat, 0.5, { mask: new Float32Array([2, -1]) })]).toEqual([
      128, 50, 150, 50, 50, 50,
    ]);
  });

  it('refuses mismatched sizes', () => {
    expect(() => blendOverlay(rgb, heat.subarray(0, 3), 0.5)).toThrow(RangeError);
    expect(() => blendOverlay(rgb, heat, 0.5, { mask: new Uint8Array(3) })).toThrow(RangeError);
  });
});

describe('legendPng', () => {
  it('draws the LUT as a bar with labelled ticks', async () => {
    const png = await legendPng({ lut: JET, width: 256, height: 40, min: 0, max: 1 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 256, height: 40, channels: 4, format: 'raw' });
    const rgba = (x: number, y: number) => [...data.subarray((y * 256 + x) * 4, (y * 256 + x) * 4 + 4)];
    expect(rgba(0, 5)).toEqual([0, 0, 128, 255]);
    expect(rgba(255, 5)).toEqual([128, 0, 0, 255]);
    expect(rgba(128, 5).slice(0, 3)).toEqual([...JET.subarray(128 * 3, 128 * 3 + 3)]);
    // Text and tick marks make some of the (otherwise transparent) label strip opaque.
    let inked = 0;
    for (let y = 20; y < 40; y++)
      for (let x = 0; x < 256; x++) if (data[(y * 256 + x) * 4 + 3] > 128) inked++;
    expect(inked).toBeGreaterThan(50);
    expect(inked).toBeLessThan(256 * 20 * 0.6);
  });

  it('renders different labels for different ranges', async () => {
    const a = await legendPng({ lut: TURBO, width: 200, height: 40, min: 0, max: 1 });
    const b = await legendPng({ lut: TURBO, width: 200, height: 40, min: 0, max: 1000 });
    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it('refuses a degenerate size', async () => {
    await expect(legendPng({ lut: JET, width: 4, height: 40, min: 0, max: 1 })).rejects.toThrow(RangeError);
  });
});

describe('encodePng / encodeJpeg', () => {
  const img = gradient(40, 30);
  it('PNG round-trips exactly', async () => {
    const png = await encodePng(img);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(maxAbsDiff((await decodeImage(png)).data, img.data)).toBe(0);
  });

  it('JPEG encodes at the requested quality', async () => {
    const hi = await encodeJpeg(img, { quality: 95 });
    const lo = await encodeJpeg(img, { quality: 20 });
    expect(hi[0]).toBe(0xff);
    expect(hi[1]).toBe(0xd8);
    expect(lo.length).toBeLessThan(hi.length);
    const back = await decodeImage(hi);
    expect(back).toMatchObject({ width: 40, height: 30 });
  });

  it('refuses a buffer that does not match the size', async () => {
    expect(() => encodePng({ width: 10, height: 10, channels: 3, data: new Uint8Array(10) })).toThrow(
      RangeError,
    );
  });
});
