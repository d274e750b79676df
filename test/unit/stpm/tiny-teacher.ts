// A tiny seeded teacher with MobileNetV2's op mix (asymmetric Pad, strided conv, depthwise grouped
// conv, ReLU6 as Clip, residual Add) and taps at strides 4, 8 and 16, so STPM trains in seconds.
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { createRng } from '../../../src/main/util/rng';
import type { CustomTeacher } from '../../../src/main/methods/stpm/fit';

export function tinyTeacher(size = 32, seed = 3): CustomTeacher {
  const rng = createRng(seed);
  const g = new GraphBuilder('tiny_teacher');
  const x = g.input('input', 'float32', ['N', 3, size, size]);
  const conv = (
    inp: string,
    cin: number,
    cout: number,
    k: number,
    stride: number,
    name: string,
    group = 1,
  ) => {
    const fan = (cin / group) * k * k;
    const w = new Float32Array(cout * (cin / group) * k * k).map(() => rng.normal() * Math.sqrt(2 / fan));
    const b = new Float32Array(cout).map(() => rng.normal() * 0.1);
    const p = k === 1 || stride === 2 ? 0 : 1;
    return g.conv(
      inp,
      g.initializer(`${name}/W`, w, [cout, cin / group, k, k]),
      g.initializer(`${name}/B`, b, [cout]),
      {
        strides: [stride, stride],
        pads: [p, p, p, p],
        group,
      },
    );
  };
  const relu6 = (v: string, name: string) => g.clip(v, 0, 6, name);
  // TF "same" padding of a stride-2 3×3 conv: one row/column at the end only.
  const same = (v: string) => g.pad(v, [0, 0, 0, 0, 0, 0, 1, 1]);
  const c2 = relu6(conv(same(x), 3, 8, 3, 2, 'c2'), 'c2_relu');
  const dw = relu6(conv(same(c2), 8, 8, 3, 2, 'dw', 8), 'dw_relu');
  const r4 = g.add(dw, conv(dw, 8, 8, 1, 1, 'pw'), 'r4');
  const c8 = relu6(conv(same(r4), 8, 12, 3, 2, 'c8'), 'c8');
  const c16 = conv(same(c8), 12, 16, 3, 2, 'c16');
  g.output(g.identity(c16, 'c16'));
  return {
    id: 'tiny-teacher',
    model: serializeModel(g.toModelProto()),
    taps: [
      { name: 'r4', stride: 4 },
      { name: 'c8', stride: 8 },
      { name: 'c16', stride: 16 },
    ],
    preprocess: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  };
}

/** Smooth seeded RGB images (sums of random low-frequency waves), as raw pixel buffers. */
export function smoothImages(n: number, size: number, seed: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const data = new Uint8Array(size * size * 3);
    const waves = Array.from({ length: 4 }, () => ({
      fx: rng.uniform(0.5, 3),
      fy: rng.uniform(0.5, 3),
      ph: rng.uniform(0, 6.28),
      c: [rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0, 1)],
    }));
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          let v = 0.5;
          for (const w of waves) v += 0.12 * w.c[c] * Math.sin(((w.fx * x + w.fy * y) / size) * 6.28 + w.ph);
          data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
        }
    return { data, width: size, height: size, channels: 3 as const };
  });
}
