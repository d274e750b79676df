// Decode at the model's size (live inspection path) against the full decode + resize the fit path
// uses, and the off-path encoders that now read the original frame themselves.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadRgb } from '../../../src/main/models/preprocess';
import {
  CorruptFrameError,
  decodeFrame,
  decodeFrameForModel,
  sniff,
  storedFrameJpeg,
  thumbnailJpeg,
} from '../../../src/main/station/frames';

/** A smooth gradient with a sharp bar: resampling differences show at the edges. */
async function testImage(w: number, h: number, format: 'png' | 'jpeg', channels: 1 | 3 = 3): Promise<Buffer> {
  const data = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const bar = x > w / 3 && x < w / 3 + 7 ? 200 : 0;
        data[(y * w + x) * channels + c] = Math.min(
          255,
          ((x * 255) / w + (y * 100) / h + c * 30 + bar) % 256,
        );
      }
    }
  }
  const img = sharp(data, { raw: { width: w, height: h, channels } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

const whole = { resize: 0, crop: 64 };

describe('decodeFrameForModel', () => {
  it('gives a PNG exactly the pixels of the full decode + resize (RGB and grey)', async () => {
    for (const channels of [3, 1] as const) {
      const png = await testImage(403, 251, 'png', channels);
      const viaFull = await loadRgb(await decodeFrame(png), whole);
      const direct = await decodeFrameForModel(png, whole);
      expect(direct.length).toBe(64 * 64 * 3);
      expect(Buffer.from(direct).equals(Buffer.from(viaFull))).toBe(true);
    }
  });

  it('gives a JPEG (shrink-on-load) pixels within a few levels of the full decode', async () => {
    const jpg = await testImage(640, 480, 'jpeg');
    const viaFull = await loadRgb(await decodeFrame(jpg), whole);
    const direct = await decodeFrameForModel(jpg, whole);
    let sum = 0;
    for (let i = 0; i < direct.length; i++) sum += Math.abs(direct[i] - viaFull[i]);
    expect(sum / direct.length).toBeLessThan(2);
  });

  it('keeps the two-step path for resize + centre crop models and raw frames', async () => {
    const png = await testImage(300, 200, 'png');
    const crop = { resize: 80, crop: 64 };
    expect(
      Buffer.from(await decodeFrameForModel(png, crop)).equals(
        Buffer.from(await loadRgb(await decodeFrame(png), crop)),
      ),
    ).toBe(true);
    const raw = await decodeFrame(png);
    expect(
      Buffer.from(await decodeFrameForModel(raw, whole)).equals(Buffer.from(await loadRgb(raw, whole))),
    ).toBe(true);
  });

  it('rejects truncated, empty and garbage frames with CorruptFrameError', async () => {
    const png = await testImage(200, 200, 'png');
    await expect(decodeFrameForModel(png.subarray(0, png.length >> 1), whole)).rejects.toThrow(
      CorruptFrameError,
    );
    await expect(decodeFrameForModel(Buffer.alloc(0), whole)).rejects.toThrow(CorruptFrameError);
    await expect(decodeFrameForModel(Buffer.from('not an image at all'), whole)).rejects.toThrow(
      CorruptFrameError,
    );
    await expect(
      decodeFrameForModel({ width: 4, height: 4, channels: 3, data: new Uint8Array(5) }, whole),
    ).rejects.toThrow(CorruptFrameError);
  });
});

describe('stored frame and thumbnail from the original frame', () => {
  it('keeps a JPEG byte for byte and turns other frames into JPEG', async () => {
    const jpg = await testImage(120, 90, 'jpeg');
    expect(await storedFrameJpeg(jpg)).toBe(jpg);
    const png = await testImage(120, 90, 'png');
    const stored = Buffer.from(await storedFrameJpeg(png));
    expect(sniff(stored)).toBe('jpg');
    expect((await sharp(stored).metadata()).width).toBe(120);
    const raw = await decodeFrame(png);
    expect(sniff(await storedFrameJpeg(raw))).toBe('jpg');
  });

  it('thumbnails at most 480 wide with the aspect kept, never enlarged', async () => {
    const big = await thumbnailJpeg(await testImage(960, 300, 'png'));
    expect([big.width, big.height]).toEqual([480, 150]);
    expect((await sharp(big.data).metadata()).width).toBe(480);
    const small = await thumbnailJpeg(await decodeFrame(await testImage(200, 100, 'png')));
    expect([small.width, small.height]).toEqual([200, 100]);
  });
});
