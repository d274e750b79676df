// Every gradient rule against central finite differences (ORT float32 forward, ε = 1e-2,
// ‖analytic − numeric‖ / ‖numeric‖ ≤ 1e-3). Shapes are tiny; each case runs in milliseconds.
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../../src/main/onnx/builder';
import { gradCheck, type GradCase, type GradInput } from './gradcheck';

const TOL = 1e-3;

function check(name: string, c: GradCase): void {
  it(name, async () => {
    const r = await gradCheck(c);
    for (const [k, v] of Object.entries(r.relErr))
      expect(v, `${name}: relative error of d/d${k}`).toBeLessThanOrEqual(c.tol ?? TOL);
  });
}

const inp = (name: string, shape: number[], gen: GradInput['gen'] = 'normal', noGrad = false): GradInput => ({
  name,
  shape,
  gen,
  noGrad,
});

describe('elementwise with broadcasting', () => {
  for (const op of ['Add', 'Sub', 'Mul']) {
    check(`${op} [2,3,4] ⊙ [3,1]`, {
      inputs: [inp('a', [2, 3, 4]), inp('b', [3, 1])],
      build: (g, [a, b]) => g.op(op, [a, b]),
    });
  }
  check('Div [2,3] / [1,3] (denominator away from 0)', {
    inputs: [inp('a', [2, 3]), inp('b', [1, 3], 'positive')],
    build: (g, [a, b]) => g.div(a, b),
  });
  check('Pow x^2.5 (constant exponent)', {
    inputs: [inp('a', [2, 5], 'positive')],
    build: (g, [a]) => g.op('Pow', [a, g.constant(2.5)]),
  });
  check('Pow x^2 (square fast path)', {
    inputs: [inp('a', [2, 5])],
    build: (g, [a]) => g.op('Pow', [a, g.constant(2)]),
  });
  check('Pow x^e (both differentiated, broadcast exponent)', {
    inputs: [inp('a', [3, 4], 'positive'), inp('e', [4], 'unit')],
    build: (g, [a, e]) => g.op('Pow', [a, e]),
  });
  check('Max/Min elementwise', {
    inputs: [inp('a', [3, 4], 'distinct'), inp('b', [3, 4], 'normal')],
    build: (g, [a, b]) => g.add(g.op('Max', [a, b]), g.op('Min', [a, g.constant(0.05)])),
  });
  check('Where with broadcast branches', {
    inputs: [inp('a', [3, 4]), inp('b', [4])],
    build: (g, [a, b]) => g.op('Where', [g.op('Greater', [a, g.constant(0)]), a, b]),
  });
  check('Sum (variadic, broadcast) and a value read by several nodes', {
    inputs: [inp('a', [2, 3]), inp('b', [3])],
    build: (g, [a, b]) => g.op('Sum', [a, b, g.mul(a, a)]),
  });
});

describe('unary', () => {
  const cases: Array<[string, GradInput['gen'], (g: GraphBuilder, x: string) => string]> = [
    ['Relu', 'awayFromZero', (g, x) => g.relu(x)],
    ['LeakyRelu α 0.2', 'awayFromZero', (g, x) => g.op('LeakyRelu', [x], { alpha: 0.2 })],
    ['Sigmoid', 'normal', (g, x) => g.op('Sigmoid', [x])],
    ['Tanh', 'normal', (g, x) => g.op('Tanh', [x])],
    ['Exp', 'normal', (g, x) => g.op('Exp', [x])],
    ['Log', 'positive', (g, x) => g.op('Log', [x])],
    ['Sqrt', 'positive', (g, x) => g.sqrt(x)],
    ['Abs', 'awayFromZero', (g, x) => g.op('Abs', [x])],
    ['Neg', 'normal', (g, x) => g.op('Neg', [x])],
    ['Reciprocal', 'positive', (g, x) => g.op('Reciprocal', [x])],
    ['Softplus', 'normal', (g, x) => g.op('Softplus', [x])],
    [
      'Clip [-0.1, 0.1] (samples away from the bounds)',
      'awayFromZero',
      (g, x) => g.clip(g.mul(x, g.constant(0.1)), -0.1, 0.1),
    ],
    ['Softmax axis 1', 'normal', (g, x) => g.op('Softmax', [x], { axis: 1 })],
    ['LogSoftmax axis -1', 'normal', (g, x) => g.op('LogSoftmax', [x], { axis: -1 })],
  ];
  for (const [name, gen, f] of cases)
    check(name, { inputs: [inp('x', [2, 3, 4], gen)], build: (g, [x]) => f(g, x) });
});

describe('shape ops', () => {
  check('Reshape + Transpose', {
    inputs: [inp('x', [2, 3, 4])],
    build: (g, [x]) => g.transpose(g.reshape(x, [4, 3, 2]), [2, 0, 1]),
  });
  check('Concat axis 1 (three inputs, one repeated)', {
    inputs: [inp('a', [2, 2, 3]), inp('b', [2, 1, 3])],
    build: (g, [a, b]) => g.concat([a, b, a], 1),
  });
  check('Slice with negative index and partial range', {
    inputs: [inp('x', [3, 5, 4])],
    build: (g, [x]) => g.slice(x, [1, -3], [3, 100], [1, 2]),
  });
  check('Split into unequal parts, one unused', {
    inputs: [inp('x', [2, 5])],
    build: (g, [x]) => {
      const [a, , c] = g.node('Split', [x, g.int64s([2, 1, 2])], { axis: 1 }, { outputs: 3 });
      return g.concat([c, a], 1);
    },
  });
  check('Pad (constant) then Flatten, Unsqueeze, Squeeze', {
    inputs: [inp('x', [2, 3])],
    build: (g, [x]) =>
      g.squeeze(g.unsqueeze(g.op('Flatten', [g.pad(x, [1, 0, 0, 2])], { axis: 1 }), [0]), [0]),
  });
  check('Expand', {
    inputs: [inp('x', [3, 1])],
    build: (g, [x]) => g.op('Expand', [x, g.int64s([2, 3, 4])]),
  });
});

describe('reductions and pooling', () => {
  check('ReduceMean axes [1,3] keepdims', {
    inputs: [inp('x', [2, 3, 2, 4])],
    build: (g, [x]) => g.reduce('ReduceMean', x, [1, 3], true),
  });
  check('ReduceSum axis 2, keepdims 0', {
    inputs: [inp('x', [2, 3, 4])],
    build: (g, [x]) => g.reduce('ReduceSum', x, [2], false),
  });
  check('ReduceSumSquare', {
    inputs: [inp('x', [2, 3, 4])],
    build: (g, [x]) => g.reduce('ReduceSumSquare', x, [0, 2], false),
  });
  check('GlobalAveragePool', {
    inputs: [inp('x', [2, 3, 4, 5])],
    build: (g, [x]) => g.op('GlobalAveragePool', [x]),
  });
  check('AveragePool 3×3 s2 p1 count_include_pad 0', {
    inputs: [inp('x', [1, 2, 7, 6])],
    build: (g, [x]) => g.averagePool(x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  });
  check('AveragePool 2×3 s(2,1) pads asym, count_include_pad 1', {
    inputs: [inp('x', [2, 1, 5, 5])],
    build: (g, [x]) =>
      g.averagePool(x, { kernel: [2, 3], strides: [2, 1], pads: [0, 1, 1, 0], countIncludePad: true }),
  });
  check('MaxPool 3×3 s2 p1 (overlapping windows)', {
    inputs: [inp('x', [1, 2, 7, 7], 'distinct')],
    build: (g, [x]) => g.maxPool(x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  });
  check('MaxPool 2×2 s2', {
    inputs: [inp('x', [2, 2, 4, 6], 'distinct')],
    build: (g, [x]) => g.maxPool(x, { kernel: [2, 2], strides: [2, 2] }),
  });
});

describe('linear algebra', () => {
  check('MatMul batched with broadcast [2,1,3,4]·[3,4,5]', {
    inputs: [inp('a', [2, 1, 3, 4]), inp('b', [3, 4, 5])],
    build: (g, [a, b]) => g.matmul(a, b),
  });
  for (const [ta, tb] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ]) {
    check(`Gemm transA ${ta} transB ${tb} α 0.7 β 1.3, C broadcast`, {
      inputs: [inp('a', ta ? [4, 3] : [3, 4]), inp('b', tb ? [5, 4] : [4, 5]), inp('c', [1, 5])],
      build: (g, [a, b, c]) => g.op('Gemm', [a, b, c], { transA: ta, transB: tb, alpha: 0.7, beta: 1.3 }),
    });
  }
});

describe('convolution', () => {
  const convCase = (
    name: string,
    xs: number[],
    ws: number[],
    attrs: Record<string, number | number[] | string>,
    bias = true,
  ) =>
    check(name, {
      inputs: [inp('x', xs), inp('w', ws), ...(bias ? [inp('b', [ws[0]])] : [])],
      build: (g, [x, w, b]) => g.op('Conv', b ? [x, w, b] : [x, w], { kernel_shape: ws.slice(2), ...attrs }),
    });
  convCase('Conv 3×3 stride 1 pad 1', [2, 3, 5, 5], [4, 3, 3, 3], { pads: [1, 1, 1, 1] });
  convCase('Conv 3×3 stride 2 pad 1 (odd input: output_padding path)', [1, 2, 7, 6], [3, 2, 3, 3], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  convCase('Conv 3×2 stride (2,3) asymmetric pads', [2, 2, 6, 8], [2, 2, 3, 2], {
    strides: [2, 3],
    pads: [0, 1, 2, 0],
  });
  convCase('Conv dilation 2', [1, 2, 7, 7], [3, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] });
  convCase('Conv dilation 2 stride 2', [1, 1, 9, 8], [2, 1, 3, 3], {
    dilations: [2, 2],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  convCase('Conv groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] });
  convCase('Conv depthwise stride 2', [1, 3, 6, 6], [3, 1, 3, 3], {
    group: 3,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  convCase('Conv 1×1 (MatMul fast path), batch 2', [2, 3, 4, 3], [5, 3, 1, 1], {});
  convCase('Conv 1×1 stride 2 (general path)', [1, 3, 5, 5], [2, 3, 1, 1], { strides: [2, 2] }, false);
  convCase('Conv auto_pad SAME_UPPER stride 2', [1, 2, 6, 5], [2, 2, 3, 3], {
    strides: [2, 2],
    auto_pad: 'SAME_UPPER',
  });
  const ctCase = (
    name: string,
    xs: number[],
    ws: number[],
    attrs: Record<string, number | number[]>,
    group = 1,
  ) =>
    check(name, {
      inputs: [inp('x', xs), inp('w', ws), inp('b', [ws[1] * group])],
      build: (g, [x, w, b]) =>
        g.op('ConvTranspose', [x, w, b], { kernel_shape: ws.slice(2), group, ...attrs }),
    });
  ctCase('ConvTranspose 4×4 stride 2 pad 1', [2, 3, 3, 4], [3, 2, 4, 4], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  ctCase('ConvTranspose 3×3 stride 2 pad 1 output_padding 1', [1, 2, 3, 3], [2, 3, 3, 3], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    output_padding: [1, 1],
  });
  ctCase('ConvTranspose groups 2 dilation 2', [1, 4, 3, 3], [4, 1, 3, 3], { dilations: [2, 2] }, 2);
});

describe('normalisation and resize', () => {
  check('BatchNormalization (inference op), all five inputs', {
    inputs: [inp('x', [2, 3, 2, 2]), inp('s', [3]), inp('b', [3]), inp('m', [3]), inp('v', [3], 'positive')],
    build: (g, [x, s, b, m, v]) => g.op('BatchNormalization', [x, s, b, m, v], { epsilon: 1e-3 }),
  });
  for (const [mode, ctm, from, to] of [
    ['linear', 'half_pixel', [3, 4], [7, 9]],
    ['linear', 'half_pixel', [8, 6], [3, 4]],
    ['linear', 'align_corners', [3, 5], [6, 4]],
    ['linear', 'pytorch_half_pixel', [4, 4], [1, 8]],
    ['linear', 'asymmetric', [3, 3], [6, 5]],
    ['nearest', 'half_pixel', [3, 4], [7, 8]],
  ] as const) {
    check(`Resize ${mode} ${ctm} ${from.join('×')} → ${to.join('×')}`, {
      inputs: [inp('x', [2, 2, ...from])],
      build: (g, [x]) =>
        g.op('Resize', [x, '', '', g.int64s([2, 2, ...to])], { mode, coordinate_transformation_mode: ctm }),
    });
  }
});

describe('identity, cast, dropout and resize by scales', () => {
  check('Identity', {
    inputs: [inp('x', [2, 3])],
    build: (g, [x]) => g.mul(g.op('Identity', [x]), x),
  });
  check('Cast to float32', {
    inputs: [inp('x', [2, 3])],
    build: (g, [x]) => g.mul(g.op('Cast', [x], { to: 1 }), x),
  });
  check('Dropout in inference mode (training_mode false)', {
    inputs: [inp('x', [2, 3])],
    build: (g, [x]) =>
      g.mul(g.op('Dropout', [x, g.constant(0.3), g.initializer('tm', Uint8Array.from([0]), [], 'bool')]), x),
  });
  for (const [mode, ctm, scales] of [
    ['linear', 'half_pixel', [2, 1.5]],
    ['linear', 'asymmetric', [0.5, 2]],
    ['nearest', 'asymmetric', [2, 3]],
    ['linear', 'align_corners', [1.75, 1]],
  ] as const) {
    check(`Resize ${mode} ${ctm} by scales ${scales.join('×')}`, {
      inputs: [inp('x', [1, 2, 4, 4])],
      build: (g, [x]) =>
        g.op('Resize', [x, '', g.constant([1, 1, ...scales])], {
          mode,
          coordinate_transformation_mode: ctm,
        }),
    });
  }
});

describe('coverage', () => {
  it('every op in the rule table has a finite-difference case above', async () => {
    const { readFileSync } = await import('node:fs');
    const { GRAD_RULES } = await import('../../../src/main/engine/rules');
    // Case titles and op-name lists: every string literal of the cases above this block.
    const src = readFileSync(__filename, 'utf8').split("describe('coverage'")[0];
    const titles = [...src.matchAll(/(?:check\(|Case\(|\[|, )\s*[`'](.+?)[`']/g)].map((m) => m[1]).join('\n');
    const missing = Object.keys(GRAD_RULES).filter((op) => !new RegExp(`\\b${op}\\b`).test(titles));
    expect(missing).toEqual([]);
  });
});
