import { describe, expect, it } from 'vitest';
import { JET, TURBO, colorize, encodeMap8 } from '../../../src/main/imaging/colormap';

const at = (lut: Uint8Array, i: number) => [lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]];

describe('colour LUTs', () => {
  it('are 256 RGB entries', () => {
    expect(TURBO.length).toBe(768);
    expect(JET.length).toBe(768);
  });

  it('jet runs dark blue → cyan/green → red → dark red', () => {
    expect(at(JET, 0)).toEqual([0, 0, 128]);
    expect(at(JET, 255)).toEqual([128, 0, 0]);
    const [r, g, b] = at(JET, 128);
    expect(g).toBe(255);
    expect(r).toBeGreaterThan(100);
    expect(b).toBeGreaterThan(100);
    expect(at(JET, 64)).toEqual([0, expect.any(Number), 255]);
  });

  it('turbo runs dark → blue → green → red, dark red at the top', () => {
    const [r0, g0, b0] = at(TURBO, 0);
    expect(r0 + g0 + b0).toBeLessThan(120);
    const [, , bBlue] = at(TURBO, 38);
    expect(bBlue).toBeGreaterThan(200);
    const [rm, gm, bm] = at(TURBO, 128);
    expect(gm).toBeGreaterThan(rm);
    expect(gm).toBeGreaterThan(bm);
    const [r1, g1, b1] = at(TURBO, 255);
    expect(r1).toBeGreaterThan(100);
    expect(r1).toBeGreaterThan(4 * (g1 + b1));
  });
});

describe('colorize / encodeMap8', () => {
  // Values exactly representable in float32, so the expected indices are exact.
  const map = new Float32Array([0, 0.5, 1, 2, -5, 10, NaN, 0.25]);

  it('maps min → first LUT entry, max → last, clamps outside and treats NaN as min', () => {
    const out = colorize(map, 4, 2, { min: 0, max: 1, lut: JET });
    expect(out.length).toBe(24);
    const px = (i: number) => [...out.slice(i * 3, i * 3 + 3)];
    expect(px(0)).toEqual(at(JET, 0));
    expect(px(1)).toEqual(at(JET, 128)); // 0.5 of the range → round(127.5)
    expect(px(2)).toEqual(at(JET, 255));
    expect(px(3)).toEqual(at(JET, 255));
    expect(px(4)).toEqual(at(JET, 0));
    expect(px(6)).toEqual(at(JET, 0));
    expect(px(7)).toEqual(at(JET, 64)); // 0.25 → 63.75
  });

  it('encodeMap8 uses the same scaling', () => {
    expect([...encodeMap8(map, 0, 1)]).toEqual([0, 128, 255, 255, 0, 255, 0, 64]);
  });

  it('handles a flat range without dividing by zero', () => {
    expect([...encodeMap8(new Float32Array([1, 1, 2, 0]), 1, 1)]).toEqual([0, 0, 255, 0]);
  });

  it('refuses a map of the wrong size', () => {
    expect(() => colorize(map, 3, 3, { min: 0, max: 1 })).toThrow(RangeError);
  });
});
