// DFR building blocks: the regional-feature matrix against ONNX Runtime's own Resize + AveragePool,
// PCA (covariance, eigenvalues, component count), and the autoencoder learning a low-rank signal.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession, float32Tensor } from '../../../src/main/runtime';
import { aeWidths, appendRegionalFeatures, buildDfrTrainingStep } from '../../../src/main/methods/dfr/graph';
import { componentsFor } from '../../../src/main/methods/dfr/pca';
import { covariance, varianceSpectrum } from '../../../src/main/methods/common/principal-axes';
import { createRng } from '../../../src/main/util/rng';
import { Trainer } from '../../../src/main/engine/trainer';

async function run(
  g: GraphBuilder,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Float32Array[]> {
  const { session } = await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] });
  const out = await session.run(
    Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, float32Tensor(v.data, v.dims)])),
  );
  await session.release();
  return g.outputs.map((o) => out[o.name].data as Float32Array);
}

describe('regional features', () => {
  it('equal bilinear upsampling to the input size followed by 4×4 mean pooling (ORT Resize + AveragePool)', async () => {
    const rng = createRng(2);
    const input = 32;
    const grid = 8;
    const taps = [
      { name: 'a', stride: 2, channels: 2, size: 16 },
      { name: 'b', stride: 8, channels: 3, size: 4 },
    ];
    const data = taps.map((t) =>
      Float32Array.from({ length: 2 * t.channels * t.size * t.size }, () => rng.normal()),
    );
    // Reference: the paper's two steps with ORT's operators.
    const ref = new GraphBuilder('ref');
    const parts = taps.map((t) => {
      const x = ref.input(t.name, 'float32', [2, t.channels, t.size, t.size]);
      const up = ref.resize(x, [2, t.channels, input, input], 'linear');
      return ref.averagePool(up, { kernel: [4, 4], strides: [4, 4] });
    });
    ref.output(ref.concat(parts, 1));
    const ours = new GraphBuilder('ours');
    for (const t of taps) ours.input(t.name, 'float32', [2, t.channels, t.size, t.size]);
    ours.output(appendRegionalFeatures(ours, taps, input, grid));
    const feeds = Object.fromEntries(
      taps.map((t, i) => [t.name, { data: data[i], dims: [2, t.channels, t.size, t.size] }]),
    );
    const [a] = await run(ref, feeds);
    const [b] = await run(ours, feeds);
    expect(b.length).toBe(2 * 5 * grid * grid);
    let maxErr = 0;
    for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });
});

describe('PCA', () => {
  it('eigenvalues of Q·diag(λ)·Qᵀ are λ (random orthogonal Q from Householder reflections)', () => {
    const n = 40;
    const rng = createRng(9);
    const lambda = Array.from({ length: n }, (_, i) => (i < 5 ? 10 - i : rng.uniform(0, 1)));
    let a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = lambda[i];
    for (let r = 0; r < 3; r++) {
      // A ← H A H with H = I − 2vvᵀ (‖v‖ = 1): similar matrix, same spectrum.
      const v = Array.from({ length: n }, () => rng.normal());
      const norm = Math.hypot(...v);
      const u = v.map((x) => x / norm);
      const h = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - 2 * u[i] * u[j];
      const mm = (x: Float64Array, y: Float64Array) => {
        const z = new Float64Array(n * n);
        for (let i = 0; i < n; i++)
          for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) z[i * n + j] += x[i * n + k] * y[k * n + j];
        return z;
      };
      a = mm(mm(h, a), h);
    }
    const ev = varianceSpectrum(a, n);
    const sorted = [...lambda].sort((x, y) => y - x);
    sorted.forEach((l, i) => expect(ev[i]).toBeCloseTo(l, 8));
  });

  it('covariance matches a direct computation; 90 % of variance needs exactly the dominant directions', async () => {
    const rng = createRng(4);
    const c = 6;
    const r = 5000;
    const rows = new Float32Array(r * c);
    // Two strong directions (std 3 and 2) plus weak isotropic noise (std 0.1).
    for (let i = 0; i < r; i++) {
      const a = 3 * rng.normal();
      const b = 2 * rng.normal();
      for (let j = 0; j < c; j++) rows[i * c + j] = (j < 3 ? a : b) / Math.sqrt(3) + 0.1 * rng.normal() + 5;
    }
    const cov = await covariance(rows, c);
    const mean = new Float64Array(c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) mean[j] += rows[i * c + j] / r;
    let ref01 = 0;
    for (let i = 0; i < r; i++) ref01 += (rows[i * c] - mean[0]) * (rows[i * c + 1] - mean[1]);
    expect(cov[1]).toBeCloseTo(ref01 / (r - 1), 3);
    const ev = varianceSpectrum(cov, c);
    expect(ev[0]).toBeGreaterThan(8);
    expect(ev[1]).toBeGreaterThan(3);
    expect(ev[2]).toBeLessThan(0.02);
    expect(componentsFor(ev, 0.9).k).toBe(2);
    expect(componentsFor(ev, 0.999).k).toBeGreaterThan(2);
  });
});

describe('autoencoder', () => {
  it('has the paper widths C → m → 2d → d → 2d → m → C with m = ⌊(C + 2d)/2⌋', () => {
    expect(aeWidths(816, 59)).toEqual([816, 467, 118, 59, 118, 467, 816]);
  });

  it('learns to reconstruct rank-3 data through a 3-d bottleneck: MSE falls 5× within 150 steps (measured 7×)', async () => {
    const c = 16;
    const d = 3;
    const rows = 256;
    const rng = createRng(1);
    const basis = Array.from({ length: d * c }, () => rng.normal());
    const batch = (k: number) => {
      const r2 = createRng(100 + k);
      const x = new Float32Array(rows * c);
      for (let i = 0; i < rows; i++) {
        const z = [r2.normal(), r2.normal(), r2.normal()];
        for (let j = 0; j < c; j++)
          x[i * c + j] = Math.max(0, z[0] * basis[j] + z[1] * basis[c + j] + z[2] * basis[2 * c + j]);
      }
      return x;
    };
    const tr = await Trainer.create(buildDfrTrainingStep(c, d, rows), { seed: 0, intraOpNumThreads: 1 });
    const losses: number[] = [];
    for (let k = 0; k < 150; k++) losses.push((await tr.trainStep({ x: batch(k) }, 3e-3)).loss);
    await tr.release();
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(tail).toBeLessThan(head / 5);
  });
});
