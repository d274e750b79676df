// Finite-difference checking of gradient rules. The scalar under test is L = Σ y·r with fixed
// random weights r, so the full vector–Jacobian product (every output element) is exercised; the
// numerical gradient is the double-sided difference (L(x+εe) − L(x−εe)) / 2ε per input element,
// with L summed in float64 from ONNX Runtime's float32 forward.
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createSession, float32Tensor } from '../../../src/main/runtime';
import { gradients } from '../../../src/main/engine/autodiff';
import { createRng, type Rng } from '../../../src/main/util/rng';

export type Gen = 'normal' | 'positive' | 'awayFromZero' | 'distinct' | 'unit' | 'binary';

export interface GradInput {
  name: string;
  shape: number[];
  gen?: Gen;
  data?: Float32Array;
  /** Inputs such as targets that are not differentiated. */
  noGrad?: boolean;
}

export interface GradCase {
  inputs: GradInput[];
  build: (g: GraphBuilder, x: string[]) => string;
  eps?: number;
  tol?: number;
  seed?: number;
  /** Check at most this many elements per input (a seeded subset beyond). */
  maxElements?: number;
}

export interface GradReport {
  /** ‖analytic − numeric‖ / ‖numeric‖ per differentiated input. */
  relErr: Record<string, number>;
  worst: number;
  /** Runs of the forward graph used for the differences. */
  evaluations: number;
}

function generate(rng: Rng, n: number, gen: Gen): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (gen) {
      case 'normal':
        a[i] = rng.normal();
        break;
      case 'positive':
        a[i] = rng.uniform(0.5, 2);
        break;
      case 'unit':
        a[i] = rng.uniform(0.1, 0.9);
        break;
      case 'binary':
        a[i] = rng.next() < 0.5 ? 0 : 1;
        break;
      case 'awayFromZero': {
        // Kinks (ReLU, |x|) must be farther than ε from every sample.
        const v = rng.uniform(0.2, 1.5);
        a[i] = rng.next() < 0.5 ? -v : v;
        break;
      }
      case 'distinct':
        a[i] = 0;
        break;
    }
  }
  if (gen === 'distinct') {
    // Values 0.1 apart in random order: max pooling never has near-ties.
    const p = rng.permutation(n);
    for (let i = 0; i < n; i++) a[i] = (p[i] - n / 2) * 0.1;
  }
  return a;
}

export async function gradCheck(c: GradCase): Promise<GradReport> {
  const rng = createRng(c.seed ?? 1);
  const eps = c.eps ?? 1e-2;
  const values = c.inputs.map(
    (i) =>
      i.data ??
      generate(
        rng,
        i.shape.reduce((a, b) => a * b, 1),
        i.gen ?? 'normal',
      ),
  );

  // Forward graph (for the differences).
  const fg = new GraphBuilder('fwd');
  const fx = c.inputs.map((i) => fg.input(i.name, 'float32', i.shape));
  const fy = c.build(fg, fx);
  fg.output(fy);
  const yShape = fg.staticShape(fy);
  const ny = yShape.reduce((a, b) => a * b, 1);
  const r = new Float32Array(ny);
  for (let i = 0; i < ny; i++) r[i] = rng.uniform(-1, 1);

  // Forward + backward graph.
  const g = new GraphBuilder('bwd');
  const x = c.inputs.map((i) => g.input(i.name, 'float32', i.shape));
  const y = c.build(g, x);
  const loss = g.reduce(
    'ReduceSum',
    g.mul(y, g.initializer('r', r, yShape)),
    yShape.map((_, i) => i),
    false,
  );
  const wrt = c.inputs.filter((i) => !i.noGrad).map((i) => i.name);
  const grads = gradients(g, loss, wrt);
  for (const w of wrt) {
    const gv = grads.get(w);
    if (!gv) throw new Error(`no gradient reached input '${w}'`);
    g.output(g.node('Identity', [gv], {}, { outputs: [`grad_${w}`] })[0]);
  }
  const bwd = await createSession(serializeModel(g.toModelProto()), {
    providerOrder: ['cpu'],
    intraOpNumThreads: 1,
  });
  const fwd = await createSession(serializeModel(fg.toModelProto()), {
    providerOrder: ['cpu'],
    intraOpNumThreads: 1,
  });
  const feeds = () =>
    Object.fromEntries(c.inputs.map((inp, k) => [inp.name, float32Tensor(values[k].slice(), inp.shape)]));
  try {
    const out = await bwd.session.run(feeds());
    const lossAt = async (k: number, j: number, delta: number): Promise<number> => {
      const f = feeds();
      (f[c.inputs[k].name].data as Float32Array)[j] += delta;
      const o = await fwd.session.run(f);
      const yv = o[fy].data as Float32Array;
      let s = 0;
      for (let i = 0; i < ny; i++) s += yv[i] * r[i];
      return s;
    };
    const relErr: Record<string, number> = {};
    let evaluations = 0;
    for (const [k, inp] of c.inputs.entries()) {
      if (inp.noGrad) continue;
      const analytic = out[`grad_${inp.name}`].data as Float32Array;
      const n = values[k].length;
      if (analytic.length !== n)
        throw new Error(`gradient of '${inp.name}' has ${analytic.length} values, input has ${n}`);
      const max = c.maxElements ?? 128;
      const idx = n <= max ? [...Array(n).keys()] : [...rng.permutation(n).slice(0, max)];
      let num2 = 0;
      let diff2 = 0;
      for (const j of idx) {
        const lp = await lossAt(k, j, eps);
        const lm = await lossAt(k, j, -eps);
        evaluations += 2;
        // The float32 inputs actually fed differ by slightly other than 2ε: divide by that.
        const h = Math.fround(values[k][j] + eps) - Math.fround(values[k][j] - eps);
        const numeric = (lp - lm) / h;
        num2 += numeric * numeric;
        diff2 += (numeric - analytic[j]) ** 2;
      }
      relErr[inp.name] = Math.sqrt(diff2) / Math.max(Math.sqrt(num2), 1e-6);
    }
    return { relErr, worst: Math.max(...Object.values(relErr)), evaluations };
  } finally {
    await bwd.session.release();
    await fwd.session.release();
  }
}
