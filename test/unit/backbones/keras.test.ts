// Converter checks on small synthetic Keras models built with TF.js, covering every layer mapping
// (including 'same' padding at stride 2 on even sizes, which TF pads asymmetrically, and average
// pooling that must not count padded pixels). The real nsfwjs models are checked in
// test/integration/backbones.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  convertKerasModel,
  decodeWeights,
  tfSamePads,
  type KerasModelConfig,
} from '../../../src/main/backbones/keras';
import { GraphBuilder, serializeModel } from '../../../src/main/onnx';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Artifacts {
  topology: KerasModelConfig;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

async function export_(model: tf.LayersModel): Promise<Artifacts> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(
      async (a) => ((art = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
    ),
  );
  const topo = art!.modelTopology as {
    model_config?: { config: KerasModelConfig };
    config?: KerasModelConfig;
  };
  const cfg = (topo.model_config?.config ?? topo.config)!;
  const data = art!.weightData as ArrayBuffer;
  return {
    topology: cfg,
    weights: decodeWeights([{ paths: [], weights: art!.weightSpecs as never }], new Uint8Array(data)),
  };
}

function toNchw(nhwc: Float32Array, n: number, h: number, w: number, c: number) {
  const out = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + k];
  return out;
}

/** max|onnx − keras| / max|keras| over an NHWC keras output and the NCHW onnx one. */
function relErr(keras: Float32Array, shape: number[], onnx: Float32Array) {
  const [n, h, w, c] = shape;
  const ref = toNchw(keras, n, h, w, c);
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ref[i] - onnx[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / m;
}

describe('Keras → ONNX converter on synthetic models', () => {
  let art: Artifacts;
  let keras: tf.LayersModel;
  const H = 16;
  const taps = ['pool_avg2', 'cat', 'dw_relu', 'bn_free'];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const r = rng(7);
    const inp = tf.input({ shape: [H, H, 3], name: 'img' });
    const pad = tf.layers
      .zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
        name: 'pad',
      })
      .apply(inp) as tf.SymbolicTensor;
    const c1 = tf.layers
      .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'c1' })
      .apply(pad) as tf.SymbolicTensor;
    const bn1 = tf.layers.batchNormalization({ name: 'bn1', epsilon: 1e-3 }).apply(c1) as tf.SymbolicTensor;
    const r1 = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(bn1) as tf.SymbolicTensor;
    // 'same' at stride 2 on an even size: TF pads 0 before, 1 after.
    const c2 = tf.layers
      .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'c2', activation: 'relu' })
      .apply(r1) as tf.SymbolicTensor;
    const dw = tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        strides: 1,
        padding: 'same',
        depthMultiplier: 2,
        useBias: false,
        name: 'dw',
      })
      .apply(c2) as tf.SymbolicTensor;
    const dwbn = tf.layers.batchNormalization({ name: 'dw_bn', scale: false }).apply(dw) as tf.SymbolicTensor;
    const dwr = tf.layers
      .activation({ activation: 'relu', name: 'dw_relu' })
      .apply(dwbn) as tf.SymbolicTensor;
    const c3 = tf.layers
      .conv2d({ filters: 16, kernelSize: 1, padding: 'same', name: 'c3' })
      .apply(c2) as tf.SymbolicTensor;
    const add = tf.layers.add({ name: 'add' }).apply([dwr, c3]) as tf.SymbolicTensor;
    const bnFree = tf.layers.batchNormalization({ name: 'bn_free' }).apply(add) as tf.SymbolicTensor; // after Add: not foldable
    const mp = tf.layers
      .maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool_max' })
      .apply(bnFree) as tf.SymbolicTensor;
    const ap = tf.layers
      .averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool_avg' })
      .apply(mp) as tf.SymbolicTensor;
    const ap2 = tf.layers
      .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool_avg2' })
      .apply(bnFree) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ axis: -1, name: 'cat' }).apply([mp, ap]) as tf.SymbolicTensor;
    const head = tf.layers.flatten({ name: 'flat' }).apply(cat) as tf.SymbolicTensor; // beyond the taps: must be cut away
    keras = tf.model({ inputs: inp, outputs: [head, ap2, cat, dwr, bnFree] });
    // Random weights everywhere, BN statistics included, so folding errors show.
    for (const layer of keras.layers) {
      const ws = layer.getWeights();
      if (ws.length === 0) continue;
      layer.setWeights(
        ws.map((w, i) => {
          const isVar = layer.weights[i].name.includes('variance');
          const v = Float32Array.from({ length: w.size }, () => (isVar ? 0.5 + r() : r() * 2 - 1));
          return tf.tensor(v, w.shape);
        }),
      );
    }
    art = await export_(keras);
  });

  it('matches TF.js on every tap (rel. max error ≤ 1e-4) and cuts unused layers', async () => {
    const conv = convertKerasModel(art.topology, art.weights, { taps });
    expect(conv.layers).not.toContain('flat');
    // BN after conv layers is folded; the one after Add stays as Mul+Add.
    const ops = conv.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(4);
    expect(conv.graph.nodes.some((n) => n.name === 'bn_free')).toBe(true);
    expect(conv.graph.nodes.some((n) => n.name === 'bn1')).toBe(false);
    expect(conv.taps.map((t) => t.shape)).toEqual([
      ['N', 16, 2, 2],
      ['N', 32, 2, 2],
      ['N', 16, 4, 4],
      ['N', 16, 4, 4],
    ]);
    const r = rng(3);
    const n = 2;
    const x = Float32Array.from({ length: n * H * H * 3 }, () => r() * 2 - 1);
    const outs = keras.predict(tf.tensor4d(x, [n, H, H, 3])) as tf.Tensor[];
    const ref = Object.fromEntries(
      ['flat', ...taps].map((name, i) => [
        name,
        { data: outs[i].dataSync() as Float32Array, shape: outs[i].shape },
      ]),
    );
    const sess = await ort.InferenceSession.create(serializeModel(conv.graph.toModelProto()));
    const got = await sess.run({ input: new ort.Tensor('float32', toNchw(x, n, H, H, 3), [n, 3, H, H]) });
    for (const t of taps) {
      expect(got[t].dims).toEqual([n, ref[t].shape[3], ref[t].shape[1], ref[t].shape[2]]);
      expect(relErr(ref[t].data, ref[t].shape, got[t].data as Float32Array), t).toBeLessThan(1e-4);
    }

    // Negative controls: the comparison must catch the classic mistakes.
    const mutate = async (edit: (g: GraphBuilder) => void, tap: string) => {
      const g = GraphBuilder.fromModel(conv.graph.toModelProto());
      edit(g);
      const s = await ort.InferenceSession.create(serializeModel(g.toModelProto()));
      const o = await s.run({ input: new ort.Tensor('float32', toNchw(x, n, H, H, 3), [n, 3, H, H]) });
      return relErr(ref[tap].data, ref[tap].shape, o[tap].data as Float32Array);
    };
    const countPad = await mutate((g) => {
      g.nodes.find((nd) => nd.name === 'pool_avg2')!.attrs.count_include_pad = { type: 'int', value: 1 };
    }, 'pool_avg2');
    expect(countPad).toBeGreaterThan(1e-3);
    const symmetric = await mutate((g) => {
      g.nodes.find((nd) => nd.name === 'c2')!.attrs.pads = { type: 'ints', value: [1, 1, 0, 0] }; // pad at the start instead
    }, 'dw_relu');
    expect(symmetric).toBeGreaterThan(1e-3);
  });

  it('fails clearly on unknown taps and unsupported layers', () => {
    expect(() => convertKerasModel(art.topology, art.weights, { taps: ['nope'] })).toThrow(
      /tap 'nope' is not a layer/,
    );
    expect(() => convertKerasModel(art.topology, art.weights, { taps: ['flat'] })).toThrow(
      /class Flatten is not supported/,
    );
  });
});

describe('weights and padding helpers', () => {
  it('dequantises uint8 weights as min + scale·q, in manifest order', () => {
    const data = new Uint8Array([0, 1, 255, 10, 20]);
    const w = decodeWeights(
      [
        {
          paths: ['a'],
          weights: [
            {
              name: 'a/kernel',
              shape: [3],
              dtype: 'float32',
              quantization: { dtype: 'uint8', min: -1, scale: 0.5 },
            },
          ],
        },
        {
          paths: ['b'],
          weights: [
            {
              name: 'b/bias',
              shape: [2],
              dtype: 'float32',
              quantization: { dtype: 'uint8', min: 0, scale: 2 },
            },
          ],
        },
      ],
      data,
    );
    expect(Array.from(w.get('a/kernel')!.data)).toEqual([-1, -0.5, 126.5]);
    expect(Array.from(w.get('b/bias')!.data)).toEqual([20, 40]);
    expect(() =>
      decodeWeights([{ paths: [], weights: [{ name: 'x', shape: [9], dtype: 'float32' }] }], data),
    ).toThrow(/ends inside 'x'/);
  });

  it('computes TF SAME pads (extra pixel at the end)', () => {
    expect(tfSamePads(224, 3, 2)).toEqual([0, 1]);
    expect(tfSamePads(225, 3, 2)).toEqual([1, 1]);
    expect(tfSamePads(35, 3, 1)).toEqual([1, 1]);
    expect(tfSamePads(8, 1, 1)).toEqual([0, 0]);
    expect(tfSamePads(17, 7, 1)).toEqual([3, 3]);
  });
});
