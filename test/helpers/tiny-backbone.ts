// A tiny seeded conv backbone with a stride-8 and a stride-16 tap, so a real PatchCore model
// fits in well under a second. Four stride-2 3×3 convs: c1, c2, then the taps t8 and t16.
import { createRng } from '../../src/main/util/rng';
import type { BackboneSource } from '../../src/main/methods/types';
import { GraphBuilder } from '../../src/main/onnx/builder';
import { serializeModel } from '../../src/main/onnx/serialize';

export interface TinyBackboneSpec {
  graphName: string;
  seed: number;
  /** Input side, px. */
  size: number;
  /** Output channels of c1, c2, t8, t16. */
  channels: [number, number, number, number];
  biasStd: number;
}

export function buildTinyBackbone(spec: TinyBackboneSpec): BackboneSource {
  const rng = createRng(spec.seed);
  const g = new GraphBuilder(spec.graphName);
  const x = g.input('input', 'float32', ['N', 3, spec.size, spec.size]);
  const convRelu = (inp: string, cin: number, cout: number, name: string): string => {
    const w = new Float32Array(cout * cin * 9).map(() => rng.normal() * Math.sqrt(2 / (cin * 9)));
    const b = new Float32Array(cout).map(() => rng.normal() * spec.biasStd);
    const y = g.conv(
      inp,
      g.initializer(`${name}_w`, w, [cout, cin, 3, 3]),
      g.initializer(`${name}_b`, b, [cout]),
      { strides: [2, 2], pads: [1, 1, 1, 1] },
    );
    return g.relu(y, name);
  };
  const [c1n, c2n, t8n, t16n] = spec.channels;
  const c1 = convRelu(x, 3, c1n, 'c1');
  const c2 = convRelu(c1, c1n, c2n, 'c2');
  const t8 = convRelu(c2, c2n, t8n, 't8');
  const t16 = convRelu(t8, t8n, t16n, 't16');
  g.output(t8);
  g.output(t16);
  return {
    id: 'tiny',
    model: serializeModel(g.toModelProto()),
    inputName: 'input',
    taps: [
      { name: 't8', stride: 8, channels: t8n },
      { name: 't16', stride: 16, channels: t16n },
    ],
    preprocess: {
      resize: 0,
      crop: spec.size,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      channelOrder: 'RGB',
    },
  };
}
