import { describe, expect, it } from 'vitest';
import { IMAGENET_RGB, toNCHWFloat32, toNCHWFloat32Batch } from '../../../src/main/imaging/tensor';
import type { RgbImage } from '../../../src/main/imaging/types';
import { gradient } from './helpers';

const W = 5;
const H = 3;
function withPixel(x: number, y: number, rgb: [number, number, number]): RgbImage {
  const img = gradient(W, H);
  img.data.set(rgb, (y * W + x) * 3);
  return img;
}

describe('toNCHWFloat32', () => {
  it('places a known pixel at its NCHW index with ImageNet normalisation', () => {
    const out = toNCHWFloat32(withPixel(3, 2, [255, 128, 0]), { ...IMAGENET_RGB, channelOrder: 'RGB' });
    expect(out.length).toBe(3 * W * H);
    const i = 2 * W + 3;
    expect(out[0 * W * H + i]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(out[1 * W * H + i]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 5);
    expect(out[2 * W * H + i]).toBeCloseTo((0 - 0.406) / 0.225, 5);
  });

  it('BGR order puts blue in plane 0 and uses mean/std in output order', () => {
    const out = toNCHWFloat32(withPixel(1, 0, [10, 20, 30]), {
      mean: [103.939, 116.779, 123.68],
      std: [1, 1, 1],
      channelOrder: 'BGR',
      scale: 1,
    });
    const i = 1;
    expect(out[i]).toBeCloseTo(30 - 103.939, 4);
    expect(out[W * H + i]).toBeCloseTo(20 - 116.779, 4);
    expect(out[2 * W * H + i]).toBeCloseTo(10 - 123.68, 4);
  });

  it('writes into a preallocated buffer at an offset and touches nothing else', () => {
    const buf = new Float32Array(3 * W * H + 10).fill(-999);
    const ret = toNCHWFloat32(gradient(W, H), { mean: [0, 0, 0], std: [1, 1, 1] }, buf, 5);
    expect(ret).toBe(buf);
    expect(buf.slice(0, 5).every((v) => v === -999)).toBe(true);
    expect(buf.slice(5 + 3 * W * H).every((v) => v === -999)).toBe(true);
    expect(buf[5 + W - 1]).toBeCloseTo(1, 6); // red at x = W-1 is 255
  });

  it('refuses an output that is too small and a zero std', () => {
    expect(() => toNCHWFloat32(gradient(W, H), IMAGENET_RGB, new Float32Array(10))).toThrow(RangeError);
    expect(() => toNCHWFloat32(gradient(W, H), { mean: [0, 0, 0], std: [1, 0, 1] })).toThrow(RangeError);
  });
});

describe('toNCHWFloat32Batch', () => {
  it('lays images out one after another and matches the single-image path', () => {
    const a = withPixel(0, 0, [255, 255, 255]);
    const b = withPixel(0, 0, [0, 0, 0]);
    const opts = { mean: [0.5, 0.5, 0.5] as const, std: [0.5, 0.5, 0.5] as const };
    const batch = toNCHWFloat32Batch([a, b], opts);
    expect(batch.length).toBe(2 * 3 * W * H);
    expect(batch[0]).toBeCloseTo(1, 6);
    expect(batch[3 * W * H]).toBeCloseTo(-1, 6);
    expect(batch.slice(3 * W * H)).toEqual(toNCHWFloat32(b, opts));
  });

  it('refuses mixed sizes', () => {
    expect(() => toNCHWFloat32Batch([gradient(4, 4), gradient(4, 5)], IMAGENET_RGB)).toThrow(/batch/);
  });
});
