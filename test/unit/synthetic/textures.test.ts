// Procedural texture sources (the offline stand-in for DTD): seeded, varied, every family usable.
import { describe, expect, it } from 'vitest';
import { TEXTURE_KINDS, drawTexture, fractalNoise, type RgbPixels } from '../../../src/main/synthetic';
import { createRng } from '../../../src/main/util/rng';

/** Largest per-channel standard deviation (two equally bright colours still make a texture). */
function stats(t: RgbPixels): { std: number; distinct: number } {
  const n = t.data.length / 3;
  const seen = new Set<number>();
  let best = 0;
  for (let c = 0; c < 3; c++) {
    let s = 0;
    let s2 = 0;
    for (let i = c; i < t.data.length; i += 3) {
      s += t.data[i];
      s2 += t.data[i] * t.data[i];
    }
    best = Math.max(best, Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)));
  }
  for (let i = 0; i < t.data.length; i += 3)
    seen.add((t.data[i] << 16) | (t.data[i + 1] << 8) | t.data[i + 2]);
  return { std: best, distinct: seen.size };
}

const pool: RgbPixels[] = [0, 1].map((k) => {
  const data = new Uint8Array(40 * 30 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * (7 + k)) % 251;
  return { data, width: 40, height: 30 };
});

describe('procedural textures', () => {
  it('are byte-identical for a seed and differ between seeds', () => {
    const a = drawTexture(createRng(9), 48, 40, { cropPool: pool });
    const b = drawTexture(createRng(9), 48, 40, { cropPool: pool });
    const c = drawTexture(createRng(10), 48, 40, { cropPool: pool });
    expect(a.data).toEqual(b.data);
    expect(a.kind).toBe(b.kind);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(c.data))).not.toBe(0);
  });

  for (const kind of TEXTURE_KINDS.filter((k) => k !== 'user')) {
    it(`${kind}: right size, structured (not flat) across seeds`, () => {
      for (let seed = 0; seed < 6; seed++) {
        const t = drawTexture(createRng(seed), 64, 48, { kinds: [kind], cropPool: pool });
        expect(t.kind).toBe(kind);
        expect(t.data.length).toBe(64 * 48 * 3);
        const st = stats(t);
        expect(st.std, `seed ${seed}`).toBeGreaterThan(2);
        // Hard stripes and grids are legitimately two colours.
        expect(st.distinct, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      }
    });
  }

  it('draws every family over many seeds; crop only with a pool', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) seen.add(drawTexture(createRng(s), 16, 16, { cropPool: pool }).kind);
    expect([...seen].sort()).toEqual(['blotches', 'crop', 'fractal', 'grid', 'scratches', 'stripes']);
    for (let s = 0; s < 50; s++) expect(drawTexture(createRng(s), 16, 16).kind).not.toBe('crop');
    expect(() => drawTexture(createRng(0), 16, 16, { kinds: ['crop'] })).toThrow(/crop pool/);
  });

  it('mixes user textures in at about userWeight, resized to the request', () => {
    const user = { data: new Uint8Array(10 * 10 * 3).fill(200), width: 10, height: 10 };
    let users = 0;
    for (let s = 0; s < 400; s++) {
      const t = drawTexture(createRng(s), 20, 12, { userTextures: [user], userWeight: 0.3 });
      if (t.kind === 'user') {
        users++;
        expect(t.data.length).toBe(20 * 12 * 3);
        expect(t.data.every((v) => v === 200)).toBe(true);
      }
    }
    expect(users / 400).toBeGreaterThan(0.22);
    expect(users / 400).toBeLessThan(0.38);
  });

  it('fractal noise is normalised and multi-scale', () => {
    const n = fractalNoise(createRng(1), 64, 64, { baseScale: 2, octaves: 4 });
    let mx = 0;
    for (const v of n) mx = Math.max(mx, Math.abs(v));
    expect(mx).toBeLessThanOrEqual(1.5);
    expect(mx).toBeGreaterThan(0.1);
  });
});
