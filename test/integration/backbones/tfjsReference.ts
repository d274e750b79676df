// Test helper: builds the TF.js (Keras) model truncated at the same taps, for checking the ONNX conversion
// against the original framework. @tensorflow/tfjs is a dev dependency, so this lives under test/ and
// is imported lazily.
import type { KerasLayer } from '../../../src/main/backbones/keras';
import type { NsfwjsModel } from '../../../src/main/backbones/nsfwjs';

export interface ReferenceModel {
  /** Runs NHWC float input [n,h,w,3]; returns each tap as NHWC data with its shape. */
  run(nhwc: Float32Array, n: number): Promise<Array<{ name: string; shape: number[]; data: Float32Array }>>;
  dispose(): void;
}

export async function tfjsReference(
  m: NsfwjsModel,
  taps: string[],
  inputSize: [number, number],
): Promise<ReferenceModel> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const cfg = m.topology.model_config.config;
  const byName = new Map(cfg.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const stack = [...taps];
  while (stack.length) {
    const n = stack.pop() as string;
    if (needed.has(n)) continue;
    needed.add(n);
    const l = byName.get(n);
    for (const node of (l?.inbound_nodes?.[0] ?? []) as unknown[][]) stack.push(node[0] as string);
  }
  const layers: KerasLayer[] = cfg.layers
    .filter((l) => needed.has(l.name))
    .map((l) =>
      l.class_name === 'InputLayer'
        ? { ...l, config: { ...l.config, batch_input_shape: [null, inputSize[0], inputSize[1], 3] } }
        : l,
    );
  const topology = {
    ...m.topology,
    model_config: {
      class_name: 'Model',
      config: { ...cfg, layers, output_layers: taps.map((t) => [t, 0, 0]) },
    },
  };
  const weightSpecs = m.manifest.flatMap((g) => g.weights);
  const buf = m.weightData.buffer.slice(
    m.weightData.byteOffset,
    m.weightData.byteOffset + m.weightData.byteLength,
  ) as ArrayBuffer;
  // strict: false because the truncated model has fewer layers than the weight list.
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology as unknown as object,
      weightSpecs: weightSpecs as never,
      weightData: buf,
    }),
    { strict: false },
  );
  return {
    async run(nhwc, n) {
      const x = tf.tensor4d(nhwc, [n, inputSize[0], inputSize[1], 3]);
      const out = model.predict(x);
      const list = Array.isArray(out) ? out : [out];
      const res = await Promise.all(
        list.map(async (t, i) => ({
          name: taps[i],
          shape: t.shape as number[],
          data: (await t.data()) as Float32Array,
        })),
      );
      x.dispose();
      for (const t of list) t.dispose();
      return res;
    },
    dispose: () => model.dispose(),
  };
}
