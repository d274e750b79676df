// DRAEM's loss terms against reference values: the 11-px σ 1.5 Gaussian window against the
// published pytorch-ssim kernel, SSIM against a direct float64 implementation of the authors'
// formula (zero-padded Gaussian window, C1 = 0.01², C2 = 0.03²), focal loss (γ 2) against values
// worked out by hand.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession } from '../../../src/main/runtime';
import { focalLoss, gaussianWindow, ssimLoss } from '../../../src/main/engine/losses';
import { createRng } from '../../../src/main/util/rng';

async function evalScalar(build: (g: GraphBuilder) => string): Promise<number> {
  const g = new GraphBuilder('v');
  g.output(build(g));
  const { session } = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
  const out = await session.run({});
  await session.release();
  return (Object.values(out)[0].data as Float32Array)[0];
}

/** 1 − mean SSIM over [c, s, s] images, the direct way (float64, zero padding). */
function referenceSsimLoss(a: Float64Array, b: Float64Array, c: number, s: number): number {
  const k1 = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const ks = k1.reduce((x, y) => x + y, 0);
  const w = k1.map((v) => v / ks);
  const blur = (f: (i: number) => number, ch: number, y: number, x: number) => {
    let acc = 0;
    for (let u = 0; u < 11; u++)
      for (let v = 0; v < 11; v++) {
        const yy = y + u - 5;
        const xx = x + v - 5;
        if (yy < 0 || xx < 0 || yy >= s || xx >= s) continue;
        acc += w[u] * w[v] * f(ch * s * s + yy * s + xx);
      }
    return acc;
  };
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  let sum = 0;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) {
        const ma = blur((i) => a[i], ch, y, x);
        const mb = blur((i) => b[i], ch, y, x);
        const saa = blur((i) => a[i] * a[i], ch, y, x) - ma * ma;
        const sbb = blur((i) => b[i] * b[i], ch, y, x) - mb * mb;
        const sab = blur((i) => a[i] * b[i], ch, y, x) - ma * mb;
        sum += ((2 * ma * mb + C1) * (2 * sab + C2)) / ((ma * ma + mb * mb + C1) * (saa + sbb + C2));
      }
  return 1 - sum / (c * s * s);
}

describe('DRAEM loss reference values', () => {
  it('Gaussian window 11 / σ 1.5 equals pytorch-ssim gaussian(11, 1.5) ⊗ itself', () => {
    const ref = [0.001028, 0.007599, 0.036001, 0.109361, 0.213006, 0.266012];
    const w = gaussianWindow(11, 1.5);
    let sum = 0;
    for (const v of w) sum += v;
    expect(sum).toBeCloseTo(1, 6);
    // Row 5 (the centre row) is 0.266012 × the 1-D kernel.
    for (let j = 0; j < 6; j++) expect(w[5 * 11 + j] / 0.266012).toBeCloseTo(ref[j], 5);
  });

  it('SSIM loss matches a direct float64 implementation on random and related images', async () => {
    const rng = createRng(3);
    const c = 3;
    const s = 20;
    const a = new Float64Array(c * s * s).map(() => rng.next());
    // b: a blurred, shifted, noisy version of a, so SSIM is neither 0 nor 1.
    const b = a.map((v, i) =>
      Math.min(1, Math.max(0, 0.6 * v + 0.3 * a[(i + 1) % a.length] + 0.1 * rng.next())),
    );
    const ref = referenceSsimLoss(a, b, c, s);
    expect(ref).toBeGreaterThan(0.05);
    expect(ref).toBeLessThan(0.9);
    const got = await evalScalar((g) =>
      ssimLoss(
        g,
        g.initializer('a', Float32Array.from(a), [1, c, s, s]),
        g.initializer('b', Float32Array.from(b), [1, c, s, s]),
        { window: 11, sigma: 1.5 },
      ),
    );
    expect(got).toBeCloseTo(ref, 4);
  });

  it('focal loss γ 2 without α: mean of −(1 − p_t)² log p_t, hand-computed', async () => {
    const p = [0.9, 0.2, 0.6, 0.3, 0.7];
    const t = [1, 0, 1, 1, 0];
    // −(0.1)² ln 0.9, −(0.2)² ln 0.8, −(0.4)² ln 0.6, −(0.7)² ln 0.3, −(0.7)² ln 0.3
    const terms = [0.0010536052, 0.0089257421, 0.0817320998, 0.5899466741, 0.5899466741];
    const expected = terms.reduce((x, y) => x + y, 0) / 5;
    const got = await evalScalar((g) =>
      focalLoss(
        g,
        g.initializer('p', Float32Array.from(p), [1, 1, 1, 5]),
        g.initializer('t', Float32Array.from(t), [1, 1, 1, 5]),
        { gamma: 2 },
      ),
    );
    expect(got).toBeCloseTo(expected, 6);
    expect(expected).toBeCloseTo(0.2543209591, 8);
  });
});
