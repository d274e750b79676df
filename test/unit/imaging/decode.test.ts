import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/main/imaging/decode';
import { ImageDecodeError } from '../../../src/main/imaging/errors';
import { tempDir } from '../storage/helpers';
import { checkerboard, gradient, maxAbsDiff, pixel, pngClaiming, writeBmp } from './helpers';

const img = gradient(37, 23); // odd sizes exercise BMP row padding
const raw = () => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir('station-imaging-')));
afterAll(() => tmp.cleanup());

async function decodeError(input: Buffer | string, opts = {}): Promise<ImageDecodeError> {
  const err = await decodeImage(input, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageDecodeError);
  return err as ImageDecodeError;
}

describe('decodeImage: formats', () => {
  it.each([
    ['png', () => raw().png().toBuffer()],
    ['tiff', () => raw().tiff({ compression: 'lzw' }).toBuffer()],
    ['webp lossless', () => raw().webp({ lossless: true }).toBuffer()],
  ])('decodes %s exactly', async (_name, make) => {
    const out = await decodeImage(await make());
    expect(out).toMatchObject({ width: 37, height: 23, channels: 3 });
    expect(maxAbsDiff(out.data, img.data)).toBe(0);
  });

  it('decodes JPEG close to the source', async () => {
    const smooth = checkerboard(64, 48, 16);
    const jpeg = await sharp(smooth.data, { raw: { width: 64, height: 48, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const out = await decodeImage(jpeg);
    expect(out).toMatchObject({ width: 64, height: 48 });
    expect(pixel(out, 4, 4)[0]).toBeLessThan(20);
    expect(pixel(out, 20, 4)[0]).toBeGreaterThan(235);
  });

  it('reads from a path', async () => {
    const file = join(tmp.dir, 'frame.png');
    writeFileSync(file, await raw().png().toBuffer());
    expect(maxAbsDiff((await decodeImage(file)).data, img.data)).toBe(0);
  });

  it('expands greyscale to RGB and drops alpha', async () => {
    const grey = Buffer.from(Array.from({ length: 12 }, (_, i) => i * 20));
    const g = await decodeImage(
      await sharp(grey, { raw: { width: 4, height: 3, channels: 1 } })
        .png()
        .toBuffer(),
    );
    expect(g.channels).toBe(3);
    expect(pixel(g, 1, 2)).toEqual([180, 180, 180]);

    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
    const a = await decodeImage(
      await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
        .png()
        .toBuffer(),
    );
    expect([...a.data]).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('reduces 16-bit PNG to 8 bits', async () => {
    const out = await decodeImage(await raw().toColourspace('rgb16').png().toBuffer());
    expect(out.data.length).toBe(37 * 23 * 3);
    expect(maxAbsDiff(out.data, img.data)).toBeLessThanOrEqual(1);
  });

  it.each([
    ['24-bit bottom-up', { bpp: 24 }],
    ['24-bit top-down', { bpp: 24, topDown: true }],
    ['24-bit without final padding', { bpp: 24, trimLastPadding: true }],
    ['32-bit BI_RGB', { bpp: 32 }],
    ['32-bit bitfields top-down', { bpp: 32, bitfields: true, topDown: true }],
  ] as const)('decodes BMP %s exactly', async (_name, opts) => {
    const out = await decodeImage(writeBmp(img, opts));
    expect(out).toMatchObject({ width: 37, height: 23, channels: 3 });
    expect(maxAbsDiff(out.data, img.data)).toBe(0);
  });

  it('decodes 8-bit palette BMP, both row orders', async () => {
    const board = checkerboard(13, 7, 3);
    for (const topDown of [false, true]) {
      const out = await decodeImage(writeBmp(board, { bpp: 8, topDown }));
      expect(maxAbsDiff(out.data, board.data)).toBe(0);
    }
  });
});

describe('decodeImage: refusals', () => {
  it('refuses a PNG claiming 100000x100000 from its header, fast and without allocating', async () => {
    const bomb = pngClaiming(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const err = await decodeError(bomb, { name: 'bomb.png' });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(err.problem).toBe('too_large');
    expect(err.message).toContain('bomb.png');
    expect(err.message).toContain('100000x100000');
  });

  it('honours a custom pixel limit', async () => {
    const err = await decodeError(await raw().png().toBuffer(), { maxPixels: 800 });
    expect(err.problem).toBe('too_large');
    await expect(decodeImage(await raw().png().toBuffer(), { maxPixels: 851 })).resolves.toBeTruthy();
  });

  it('refuses a BMP claiming too many pixels before reading pixels', async () => {
    const bmp = writeBmp(gradient(4, 4), { bpp: 24 });
    bmp.writeInt32LE(100_000, 18);
    bmp.writeInt32LE(-100_000, 22);
    const err = await decodeError(bmp, { name: 'huge.bmp' });
    expect(err.problem).toBe('too_large');
    expect(err.message).toMatch(/huge\.bmp.*100000x100000/);
  });

  it('refuses a truncated PNG and names the file', async () => {
    const png = await sharp(gradient(200, 200).data, { raw: { width: 200, height: 200, channels: 3 } })
      .png()
      .toBuffer();
    const file = join(tmp.dir, 'cut.png');
    writeFileSync(file, png.subarray(0, Math.floor(png.length / 2)));
    const err = await decodeError(file);
    expect(['truncated', 'corrupt']).toContain(err.problem);
    expect(err.message).toContain(file);
  });

  it('refuses a truncated BMP', async () => {
    const bmp = writeBmp(img, { bpp: 24 });
    const err = await decodeError(bmp.subarray(0, bmp.length - 200));
    expect(err.problem).toBe('truncated');
    expect(err.message).toMatch(/needs \d+ bytes/);
  });

  it('refuses a BMP palette index outside the palette', async () => {
    const bmp = writeBmp(checkerboard(4, 4, 2), { bpp: 8 });
    bmp[bmp.readUInt32LE(10)] = 200; // only 2 palette entries exist
    expect((await decodeError(bmp)).message).toMatch(/palette index 200/);
  });

  it('refuses compressed BMP (RLE) as unsupported', async () => {
    const bmp = writeBmp(checkerboard(4, 4, 2), { bpp: 8 });
    bmp.writeUInt32LE(1, 30);
    expect((await decodeError(bmp)).problem).toBe('unsupported');
  });

  it('refuses random bytes, empty input, a missing file and an unsupported format', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    expect((await decodeError(random, { name: 'noise.bin' })).message).toContain('noise.bin');
    expect((await decodeError(Buffer.alloc(0))).problem).toBe('empty');
    expect((await decodeError(join(tmp.dir, 'nope.png'))).problem).toBe('unreadable');
    const gif = await raw().gif().toBuffer();
    expect((await decodeError(gif)).problem).toBe('unsupported');
  });
});
