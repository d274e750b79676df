// Issue 13 item 5: training/evaluation and the live loop decode through one path with the same
// limits. Before, the live decoder had no pixel limit (a 746 KB 16000×16000 PNG took 3.9 GB),
// rotated by EXIF while training did not, and could not read BMP.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadRgb,
  preprocessBatch,
  rgbToNchw,
  type PreprocessSpec,
} from '../../../src/main/models/preprocess';
import { CorruptFrameError, decodeFrame } from '../../../src/main/station/frames';
import { tempDir } from '../storage/helpers';
import { gradient, pngChunk, writeBmp } from './helpers';

const SPEC: PreprocessSpec = {
  resize: 40,
  crop: 32,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channelOrder: 'RGB',
};

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir('station-decode-paths-')));
afterAll(() => tmp.cleanup());

/** What the live loop does with a frame's bytes (LiveStation.processBatch). */
async function liveTensor(bytes: Buffer, name: string): Promise<Float32Array> {
  const rgb = await decodeFrame(bytes, name);
  const out = new Float32Array(3 * SPEC.crop * SPEC.crop);
  rgbToNchw(await loadRgb(rgb, SPEC), SPEC, out, 0);
  return out;
}

async function liveError(bytes: Buffer, name: string): Promise<CorruptFrameError> {
  const err = await decodeFrame(bytes, name).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptFrameError);
  return err as CorruptFrameError;
}

/** A real PNG of width × height grey pixels, all zero: tiny on disk, huge when decoded. */
async function bombPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // Streamed row by row so the test itself never holds the decoded size.
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise<void>((ok) => deflate.on('end', ok));
  const row = Buffer.alloc(width + 1);
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((ok) => deflate.once('drain', ok));
  }
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('one decode path for fit/eval and live', () => {
  it('gives the same tensor for a JPEG with EXIF orientation 6 through fit/eval and the live loop', async () => {
    const img = gradient(48, 32);
    const jpeg = await sharp(img.data, { raw: { width: 48, height: 32, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const file = join(tmp.dir, 'rotated.jpg');
    writeFileSync(file, jpeg);

    const fit = await preprocessBatch([file], SPEC); // what fit, eval and predict run
    const live = await liveTensor(jpeg, 'rotated.jpg');
    expect(Array.from(live)).toEqual(Array.from(fit));
    // Both applied the rotation: orientation 6 turns the 48×32 frame into 32×48.
    const rgb = await decodeFrame(jpeg, 'rotated.jpg');
    expect([rgb.width, rgb.height]).toEqual([32, 48]);
  });

  it('decodes BMP frames on the line as in training', async () => {
    const img = gradient(37, 23);
    const bmp = writeBmp(img, { bpp: 24 });
    const file = join(tmp.dir, 'frame.bmp');
    writeFileSync(file, bmp);
    expect(Array.from(await liveTensor(bmp, 'frame.bmp'))).toEqual(
      Array.from(await preprocessBatch([file], SPEC)),
    );
  });

  it('refuses a 16000×16000 PNG from its header on the live path, without decoding it', async () => {
    const png = await bombPng(16000, 16000);
    expect(png.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const err = await liveError(png, 'huge.png');
    expect(err.message).toMatch(/huge\.png/);
    expect(err.message).toMatch(/16000x16000 = 256000000 pixels, above the 40000000-pixel limit/);
    // Decoding would need 768 MB of RGB; the header check needs nothing like it.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('names the file and says "empty" or "truncated"', async () => {
    const empty = await liveError(Buffer.alloc(0), 'cam-0001.png');
    expect(empty.message).toMatch(/cam-0001\.png.*empty/);

    const png = await sharp(gradient(64, 64).data, { raw: { width: 64, height: 64, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const cutPng = await liveError(png.subarray(0, Math.floor(png.length / 2)), 'cam-0002.png');
    expect(cutPng.message).toMatch(/cam-0002\.png.*truncated/);

    const jpeg = await sharp(gradient(64, 64).data, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const cutJpeg = await liveError(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cam-0003.jpg');
    expect(cutJpeg.message).toMatch(/cam-0003\.jpg.*truncated/);

    const bmp = writeBmp(gradient(37, 23), { bpp: 24 });
    const cutBmp = await liveError(bmp.subarray(0, bmp.length - 200), 'cam-0004.bmp');
    expect(cutBmp.message).toMatch(/cam-0004\.bmp.*truncated/);
  });
});
