import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder,
  attr,
  float32Tensor,
  int64Tensor,
  parseModel,
  serializeModel,
} from '../../../src/main/onnx';
import { countFlops } from '../../../src/main/onnx/flops';

function randn(n: number, seed = 1): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

describe('GraphBuilder validation', () => {
  it('rejects undefined inputs and duplicate names, naming the node', () => {
    const g = new GraphBuilder('t');
    g.input('x', 'float32', [1, 3]);
    expect(() => g.op('Relu', ['nope'], {}, { name: 'r1' })).toThrow(/node 'r1' \(Relu\) input 0 'nope'/);
    g.op('Relu', ['x'], {}, { name: 'r1', outputs: ['y'] });
    expect(() => g.op('Relu', ['x'], {}, { name: 'r1' })).toThrow(/node name 'r1'/);
    expect(() => g.op('Relu', ['x'], {}, { outputs: ['y'] })).toThrow(/'y' is already defined/);
    expect(() => g.input('x', 'float32', [1])).toThrow(/already defined/);
    expect(() => g.output('zzz')).toThrow(/not a value/);
  });

  it('infers and checks shapes of common ops', () => {
    const g = new GraphBuilder('shapes');
    const x = g.input('x', 'float32', ['N', 3, 32, 32]);
    const w = g.initializer('w', randn(8 * 3 * 3 * 3), [8, 3, 3, 3]);
    const c = g.conv(x, w, undefined, { strides: [2, 2], pads: [0, 0, 1, 1], name: 'conv' });
    expect(g.shapeOf(c)).toEqual(['N', 8, 16, 16]);
    const dw = g.initializer('dw', randn(8 * 9), [8, 1, 3, 3]);
    expect(g.shapeOf(g.conv(c, dw, undefined, { pads: [1, 1, 1, 1], group: 8 }))).toEqual(['N', 8, 16, 16]);
    expect(() => g.conv(x, dw, undefined, { name: 'badconv' })).toThrow(
      /node 'badconv' \(Conv\): input channels 3 != weight in-channels 1 × group 1/,
    );
    expect(g.shapeOf(g.averagePool(c, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }))).toEqual([
      'N',
      8,
      8,
      8,
    ]);
    expect(g.shapeOf(g.maxPool(c, { kernel: [2, 2], strides: [2, 2] }))).toEqual(['N', 8, 8, 8]);
    expect(g.shapeOf(g.clip(c, 0, 6))).toEqual(['N', 8, 16, 16]);
    expect(g.shapeOf(g.concat([c, c], 1))).toEqual(['N', 16, 16, 16]);
    const small = g.maxPool(c, { kernel: [2, 2], strides: [2, 2], name: 'mp' });
    expect(() => g.concat([c, small], 1, 'cat')).toThrow(/node 'cat' \(Concat\): dim 2 differs/);
    expect(() => g.add(c, small, 'addbad')).toThrow(/node 'addbad' \(Add\): cannot broadcast/);
    const b = g.initializer('b', randn(8), [8, 1, 1]);
    expect(g.shapeOf(g.add(c, b))).toEqual(['N', 8, 16, 16]);
    const t = g.transpose(c, [0, 2, 3, 1]);
    expect(g.shapeOf(t)).toEqual(['N', 16, 16, 8]);
    expect(() => g.transpose(c, [0, 1, 1, 2], 'tp')).toThrow(/node 'tp'.*not a permutation/);
    const r = g.reshape(t, [0, -1, 8]);
    expect(g.shapeOf(r)![0]).toBe('N');
    expect(g.shapeOf(r)![2]).toBe(8);
    expect(typeof g.shapeOf(r)![1]).toBe('string'); // -1 against a symbolic batch stays symbolic
    expect(g.shapeOf(g.reshape(g.initializer('r6', randn(6), [2, 3]), [3, -1]))).toEqual([3, 2]);
    expect(() => g.reshape(g.initializer('r7', randn(6), [2, 3]), [4, -1], 'rsbad')).toThrow(
      /node 'rsbad' \(Reshape\): cannot reshape/,
    );
    const m = g.initializer('m', randn(8 * 5), [8, 5]);
    expect(g.shapeOf(g.matmul(r, m))?.slice(-1)).toEqual([5]);
    expect(() => g.matmul(m, m, 'mm')).toThrow(/node 'mm' \(MatMul\): inner dims differ/);
    expect(g.shapeOf(g.reduce('ReduceMin', c, [1], false))).toEqual(['N', 16, 16]);
    expect(g.shapeOf(g.argMin(c, 1, false))).toEqual(['N', 16, 16]);
    expect(g.typeOf(g.argMin(c, 1))).toEqual('int64');
    expect(g.shapeOf(g.resize(c, [1, 8, 64, 64]))).toEqual([1, 8, 64, 64]);
    expect(() => g.resize(c, [64, 64], 'linear', { name: 'rs' })).toThrow(
      /node 'rs' \(Resize\): sizes has 2 entries/,
    );
    expect(g.shapeOf(g.pad(c, [0, 0, 1, 2, 0, 0, 3, 4]))).toEqual(['N', 8, 20, 22]);
    expect(() => g.pad(c, [1, 1], 0, 'pd')).toThrow(/node 'pd' \(Pad\): pads has 2 entries/);
    expect(g.shapeOf(g.slice(c, [1, 0], [100, -2], [2, 3], [2, 1]))).toEqual(['N', 8, 8, 14]);
    const [vals, idx] = g.topK(c, 3, 1, false);
    expect(g.shapeOf(vals)).toEqual(['N', 3, 16, 16]);
    expect(g.typeOf(idx)).toBe('int64');
    expect(() => g.topK(c, 9, 1, true, 'tk')).toThrow(/node 'tk' \(TopK\): k = 9 exceeds/);
  });

  it('classifies attributes (float names, explicit helpers)', () => {
    const g = new GraphBuilder('attrs');
    const x = g.input('x', 'float32', [2]);
    const y = g.op('LeakyRelu', [x], { alpha: 1 });
    const n = g.producerOf(y)!;
    expect(n.attrs.alpha).toEqual({ type: 'float', value: 1 });
    const z = g.op('Foo', [x], { k: attr.floats([1, 2]), q: [1, 2], s: 'abc' }, { domain: 'x.custom' });
    expect(g.producerOf(z)!.attrs).toEqual({
      k: { type: 'floats', value: [1, 2] },
      q: { type: 'ints', value: [1, 2] },
      s: { type: 'string', value: 'abc' },
    });
    g.output(y);
    expect(() => g.toModelProto()).toThrow(/domain 'x.custom'/);
  });
});

describe('flop counting', () => {
  it('counts 2·Cout·Cin/group·kh·kw·Hout·Wout per conv and 2·M·K·N per MatMul', () => {
    const g = new GraphBuilder('flops');
    const x = g.input('x', 'float32', ['N', 4, 10, 10]);
    const c = g.conv(x, g.initializer('w', randn(8 * 2 * 9), [8, 2, 3, 3]), undefined, {
      group: 2,
      pads: [1, 1, 1, 1],
    });
    const m = g.matmul(g.reshape(c, [-1, 100]), g.initializer('m', randn(100 * 5), [100, 5]));
    g.output(m);
    const f = countFlops(g);
    expect(f.byOp.Conv).toBe(2 * 8 * 2 * 9 * 100);
    expect(f.byOp.MatMul).toBe(2 * 100 * 5);
  });
});

describe('serialisation', () => {
  it('round-trips through protobuf and runs in ONNX Runtime with matching shapes', async () => {
    const g = new GraphBuilder('roundtrip', { opset: 17 });
    const x = g.input('x', 'float32', ['N', 2, 9, 9]);
    const w = g.initializer('w', randn(4 * 2 * 3 * 3, 3), [4, 2, 3, 3]);
    const bias = g.initializer('bias', float32Tensor([0.1, -0.2, 0.3, 0]));
    const c = g.conv(x, w, bias, { strides: [2, 2], pads: [0, 0, 1, 1] });
    const p = g.averagePool(g.relu(c), { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    const s = g.slice(c, [1], [4], [1]);
    const cat = g.concat([c, g.resize(s, [2, 3, 4, 4], 'nearest')], 1);
    const [tv] = g.topK(cat, 2, 1);
    const outs = [p, cat, tv, g.reduce('ReduceMin', c, [2, 3], true), g.reshape(c, [0, -1])];
    for (const o of outs) g.output(o);
    g.initializer('unused_i64', int64Tensor([1, 2, 3]));
    const bytes = serializeModel(g.toModelProto({ metadata: { purpose: 'test' } }));
    const back = parseModel(bytes);
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(back.metadataProps).toEqual([{ key: 'purpose', value: 'test' }]);
    const g2 = GraphBuilder.fromModel(back);
    expect(g2.nodes.map((n) => n.opType)).toEqual(g.nodes.map((n) => n.opType));
    expect(Array.from(g2.constValue('w')!.data as Float32Array)).toEqual(
      Array.from(g.constValue('w')!.data as Float32Array),
    );
    expect(g2.constValue('unused_i64')!.data).toEqual(BigInt64Array.from([1n, 2n, 3n]));
    expect(g2.producerOf(p)!.attrs).toEqual(g.producerOf(p)!.attrs);

    const sess = await ort.InferenceSession.create(bytes);
    const r = await sess.run({ x: new ort.Tensor('float32', randn(2 * 2 * 9 * 9, 7), [2, 2, 9, 9]) });
    for (const o of outs) {
      const inferred = g.shapeOf(o)!.map((d) => (d === 'N' ? 2 : d));
      const numeric = inferred.every((d) => typeof d === 'number');
      if (numeric) expect(r[o].dims, o).toEqual(inferred);
      else expect(r[o].dims.length, o).toBe(inferred.length);
    }
    await sess.release();
  });

  it('rejects garbage bytes with a clear error', () => {
    expect(() => parseModel(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not an ONNX model/);
  });

  it('prunes to requested outputs', () => {
    const g = new GraphBuilder('prune');
    const x = g.input('x', 'float32', [1, 4]);
    const a = g.relu(x, 'a');
    const w = g.initializer('w', randn(16), [4, 4]);
    const b = g.matmul(a, w, 'b');
    g.output(b);
    g.pruneTo([a]);
    expect(g.nodes.map((n) => n.name)).toEqual(['a']);
    expect(g.initializers.size).toBe(0);
    expect(g.outputs.map((o) => o.name)).toEqual([a]);
  });
});
