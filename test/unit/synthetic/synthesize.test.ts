import { describe, expect, it } from 'vitest';
import {
  AUGMENTATION_NAMES,
  applyAugmentation,
  blendAnomaly,
  createRng,
  makePerlinField,
  makeSyntheticSet,
  perlinAt,
  perlinMask,
  randomAugment,
  synthesizeAnomaly,
  type RgbPixels,
} from '../../../src/main/synthetic';

/** A textured test image: gradients plus a seeded speckle, so every augmentation has work to do. */
function texturedImage(w: number, h: number, seed: number): RgbPixels {
  const r = createRng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      data[o] = (x * 255) / (w - 1);
      data[o + 1] = (y * 255) / (h - 1);
      data[o + 2] = 40 + r.int(160);
    }
  }
  return { data, width: w, height: h };
}

describe('seeded rng', () => {
  it('is reproducible and chooses distinct indices', () => {
    const a = createRng(5);
    const b = createRng(5);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 50 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const c = createRng(6).choose(10, 10);
    expect(new Set(c).size).toBe(10);
    expect(createRng(6).choose(10, 3)).toEqual(c.slice(0, 3));
  });
});

describe('Perlin noise and masks', () => {
  it('is zero on lattice points, continuous, and bounded', () => {
    const f = makePerlinField(createRng(1), 4, 2);
    expect(perlinAt(f, 0, 0)).toBe(0);
    expect(Math.abs(perlinAt(f, 3, 1))).toBeLessThan(1e-12);
    let maxAbs = 0;
    let maxStep = 0;
    let prev = perlinAt(f, 0, 0.37);
    for (let i = 1; i <= 4000; i++) {
      const v = perlinAt(f, (4 * i) / 4000, 0.37);
      maxAbs = Math.max(maxAbs, Math.abs(v));
      maxStep = Math.max(maxStep, Math.abs(v - prev));
      prev = v;
    }
    expect(maxAbs).toBeLessThan(1.5);
    expect(maxAbs).toBeGreaterThan(0.05);
    expect(maxStep).toBeLessThan(0.01);
  });

  it('draws power-of-two scales in 1..32 and angles within ±90°, masks are 0/1', () => {
    const scales = new Set<number>();
    let anisotropic = 0;
    for (let s = 0; s < 80; s++) {
      const m = perlinMask(createRng(s), 40, 30);
      if (m.scaleX !== m.scaleY) anisotropic++; // each axis draws its own scale
      scales.add(m.scaleX);
      scales.add(m.scaleY);
      expect(Math.abs(m.angle)).toBeLessThanOrEqual(90);
      expect(m.mask.every((v) => v === 0 || v === 1)).toBe(true);
    }
    expect([...scales].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(anisotropic).toBeGreaterThan(40);
  });

  it('gives mask fractions in a sensible range over many seeds', () => {
    const fr: number[] = [];
    for (let s = 0; s < 150; s++) fr.push(perlinMask(createRng(1000 + s), 48, 48).fraction);
    const mean = fr.reduce((a, b) => a + b, 0) / fr.length;
    const empty = fr.filter((f) => f === 0).length;
    expect(mean).toBeGreaterThan(0.01);
    expect(mean).toBeLessThan(0.2);
    expect(Math.max(...fr)).toBeLessThan(0.6);
    expect(empty / fr.length).toBeLessThan(0.25);
  });
});

describe('augmentations', () => {
  const img = texturedImage(24, 20, 3);

  it('every augmentation changes a textured image, deterministically', () => {
    for (const name of AUGMENTATION_NAMES) {
      const a = applyAugmentation(name, img, createRng(77));
      const b = applyAugmentation(name, img, createRng(77));
      expect(a.data.length, name).toBe(img.data.length);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data)), name).toBe(true);
      expect(Buffer.from(a.data).equals(Buffer.from(img.data)), `${name} should change the image`).toBe(
        false,
      );
      expect(a.applied.name).toBe(name);
    }
  });

  it('invert, posterize and solarize follow their definitions', () => {
    const inv = applyAugmentation('invert', img, createRng(1)).data;
    expect(inv.every((v, i) => v === 255 - img.data[i])).toBe(true);
    const post = applyAugmentation('posterize', img, createRng(2));
    const bits = post.applied.params.bits as number;
    expect(bits).toBeGreaterThanOrEqual(1);
    expect(bits).toBeLessThanOrEqual(7);
    expect(post.data.every((v, i) => v === (img.data[i] & ((0xff << (8 - bits)) & 0xff)))).toBe(true);
    const sol = applyAugmentation('solarize', img, createRng(3));
    const t = sol.applied.params.threshold as number;
    expect(sol.data.every((v, i) => v === (img.data[i] >= t ? 255 - img.data[i] : img.data[i]))).toBe(true);
  });

  it('equalize and autocontrast stretch a narrow-range image to the full range', () => {
    const narrow = { ...img, data: img.data.map((v) => 100 + (v % 40)) };
    for (const name of ['equalize', 'autocontrast'] as const) {
      const out = applyAugmentation(name, narrow, createRng(4)).data;
      expect(Math.min(...out), name).toBeLessThan(20);
      expect(Math.max(...out), name).toBeGreaterThan(230);
    }
  });

  it('randomAugment applies three distinct augmentations', () => {
    const r = randomAugment(img, createRng(9));
    expect(r.applied).toHaveLength(3);
    expect(new Set(r.applied.map((a) => a.name)).size).toBe(3);
  });
});

describe('synthesizeAnomaly', () => {
  const img = texturedImage(48, 40, 11);
  const src = texturedImage(30, 30, 12);

  it('is byte-identical for the same seed and differs across seeds', () => {
    const a = synthesizeAnomaly(img, src, 123);
    const b = synthesizeAnomaly(img, src, 123);
    const c = synthesizeAnomaly(img, src, 124);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(a.beta).toBe(b.beta);
    expect(a.augmentations).toEqual(b.augmentations);
    expect(Buffer.from(a.image.data).equals(Buffer.from(c.image.data))).toBe(false);
  });

  it('leaves pixels outside the mask untouched and blends inside with β', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = synthesizeAnomaly(img, src, seed);
      expect(s.label).toBe(1);
      expect(s.beta).toBeGreaterThanOrEqual(0);
      expect(s.beta).toBeLessThan(0.8);
      // Count mismatches instead of one expect per byte (keeps the test fast).
      let wrongOutside = 0;
      let wrongInside = 0;
      for (let p = 0; p < s.mask.length; p++) {
        for (let c = 0; c < 3; c++) {
          const o = p * 3 + c;
          const I = img.data[o];
          if (!s.mask[p]) wrongOutside += s.image.data[o] !== I ? 1 : 0;
          else
            wrongInside += s.image.data[o] !== Math.round((1 - s.beta) * s.texture[o] + s.beta * I) ? 1 : 0;
        }
      }
      expect(wrongOutside).toBe(0);
      expect(wrongInside).toBe(0);
    }
  });

  it('blends an independently known texture (invert only) by the DRAEM formula', () => {
    // Source = the image itself, one augmentation from a pool of one: A = 255 − I exactly.
    const s = synthesizeAnomaly(img, null, 5, { augmentPool: ['invert'], augmentCount: 1 });
    let inside = 0;
    let wrong = 0;
    for (let p = 0; p < s.mask.length; p++) {
      for (let c = 0; c < 3; c++) {
        const o = p * 3 + c;
        const I = img.data[o];
        const M = s.mask[p];
        const out = I * (1 - M) + (1 - s.beta) * (255 - I) * M + s.beta * I * M;
        if (s.image.data[o] !== Math.round(out)) wrong++;
      }
      inside += s.mask[p];
    }
    expect(wrong).toBe(0);
    expect(inside).toBeGreaterThan(0);
    expect(s.augmentations.map((a) => a.name)).toEqual(['invert']);
  });

  it('leaves about half the samples clean with cleanProbability 0.5', () => {
    let clean = 0;
    for (let seed = 0; seed < 120; seed++) {
      const s = synthesizeAnomaly(img, src, seed, { cleanProbability: 0.5 });
      if (s.label === 0) {
        clean++;
        expect(Buffer.from(s.image.data).equals(Buffer.from(img.data))).toBe(true);
        expect(s.mask.every((v) => v === 0)).toBe(true);
      }
    }
    expect(clean).toBeGreaterThan(40);
    expect(clean).toBeLessThan(80);
  });

  it('redraws empty masks unless told not to', () => {
    let emptyWithout = 0;
    for (let seed = 0; seed < 150; seed++) {
      if (synthesizeAnomaly(img, src, seed, { maxMaskAttempts: 1 }).label === 0) emptyWithout++;
      expect(synthesizeAnomaly(img, src, seed, { maxMaskAttempts: 20 }).label).toBe(1);
    }
    expect(emptyWithout).toBeGreaterThan(0);
  });

  it('pre-rotation changes the base but keeps out = base outside the mask', () => {
    const s = synthesizeAnomaly(img, src, 8, { preRotateProbability: 1 });
    expect(s.preRotation).not.toBeNull();
    expect(Buffer.from(s.base).equals(Buffer.from(img.data))).toBe(false);
    for (let p = 0; p < s.mask.length; p++) if (!s.mask[p]) expect(s.image.data[p * 3]).toBe(s.base[p * 3]);
  });

  it('validates inputs', () => {
    expect(() => synthesizeAnomaly({ data: new Uint8Array(5), width: 2, height: 2 }, null, 1)).toThrow(
      /RGB needs 12/,
    );
    expect(() => synthesizeAnomaly(img, null, 1, { maxBeta: 2 })).toThrow(/maxBeta/);
    expect(
      blendAnomaly(Uint8Array.of(10, 20, 30), Uint8Array.of(110, 120, 130), Uint8Array.of(1), 0.25),
    ).toEqual(Uint8Array.of(85, 95, 105));
  });
});

describe('makeSyntheticSet', () => {
  const goods = [0, 1, 2, 3].map((i) => texturedImage(32, 24, 100 + i));

  it('has the exact clean fraction, labels matching masks and textures from other images', () => {
    const set = makeSyntheticSet(goods, { seed: 3, count: 10, cleanFraction: 0.4 });
    expect(set).toHaveLength(10);
    expect(set.filter((s) => s.textureIndex === -1)).toHaveLength(4);
    for (const s of set) {
      expect(s.baseIndex).toBe(s.index % 4);
      expect(s.label).toBe(s.mask.some((v) => v === 1) ? 1 : 0);
      if (s.textureIndex >= 0) expect(s.textureIndex).not.toBe(s.baseIndex);
      else expect(Buffer.from(s.image.data).equals(Buffer.from(goods[s.baseIndex].data))).toBe(true);
    }
    const again = makeSyntheticSet(goods, { seed: 3, count: 10, cleanFraction: 0.4 });
    expect(again.map((s) => Buffer.from(s.image.data).toString('base64'))).toEqual(
      set.map((s) => Buffer.from(s.image.data).toString('base64')),
    );
  });

  it('uses a texture library when given', () => {
    const tex = [texturedImage(16, 16, 999)];
    const set = makeSyntheticSet(goods, { seed: 4, count: 6, cleanFraction: 0 }, tex);
    expect(set.every((s) => s.textureIndex === 0)).toBe(true);
  });
});
