import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { cutOnnxBackbone, ensureBackbone, importOnnxBackbone } from '../../../src/main/backbones';
import { GraphBuilder, parseModel, serializeModel } from '../../../src/main/onnx';

function randn(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** A small classifier: conv s2 → relu (stage1) → conv s2 → relu (stage2) → GAP → Gemm head. */
function smallNet(symbolicSize: boolean): Uint8Array {
  const g = new GraphBuilder('small');
  const x = g.input('pixels', 'float32', symbolicSize ? ['N', 3, 'H', 'W'] : ['N', 3, 32, 32]);
  const w1 = g.initializer('w1', randn(8 * 3 * 9, 1), [8, 3, 3, 3]);
  const s1 = g.op(
    'Relu',
    [g.conv(x, w1, undefined, { strides: [2, 2], pads: [1, 1, 1, 1] })],
    {},
    { outputs: ['stage1'] },
  );
  const w2 = g.initializer('w2', randn(16 * 8 * 9, 2), [16, 8, 3, 3]);
  const s2 = g.op(
    'Relu',
    [g.conv(s1, w2, undefined, { strides: [2, 2], pads: [1, 1, 1, 1] })],
    {},
    { outputs: ['stage2'] },
  );
  const gap = g.op('GlobalAveragePool', [s2]);
  const flat = g.op('Flatten', [gap], { axis: 1 });
  const wh = g.initializer('head_w', randn(16 * 10, 3), [16, 10]);
  g.output(g.matmul(flat, wh, 'logits'));
  return serializeModel(g.toModelProto());
}

const tmp = mkdtempSync(join(os.tmpdir(), 'bb-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('external ONNX backbone import', () => {
  it('exposes taps, drops the head and infers channels and strides by a dry run', async () => {
    const full = smallNet(false);
    const cut = await cutOnnxBackbone(full, { taps: ['stage1', 'stage2'] });
    expect(cut.inputName).toBe('pixels');
    expect(cut.inputSize).toEqual([32, 32]);
    expect(cut.taps).toEqual([
      { name: 'stage1', channels: 8, size: [16, 16], stride: 2 },
      { name: 'stage2', channels: 16, size: [8, 8], stride: 4 },
    ]);
    const m = parseModel(cut.bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Conv', 'Relu']);
    expect(m.graph!.initializer!.map((t) => t.name)).toEqual(['w1', 'w2']);
    expect(cut.droppedNodes).toBe(3);

    // Values equal those of the same tensors in the uncut model.
    const g = GraphBuilder.fromModel(parseModel(full));
    g.output('stage2');
    const ref = await ort.InferenceSession.create(serializeModel(g.toModelProto()));
    const sess = await ort.InferenceSession.create(cut.bytes);
    const x = new ort.Tensor('float32', randn(2 * 3 * 32 * 32, 9), [2, 3, 32, 32]);
    const a = (await ref.run({ pixels: x })).stage2.data as Float32Array;
    const b = (await sess.run({ pixels: x })).stage2.data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('uses inputSize for symbolic inputs and explains bad taps', async () => {
    const cut = await cutOnnxBackbone(smallNet(true), { taps: ['stage2'], inputSize: [64, 48] });
    expect(cut.taps[0]).toMatchObject({ channels: 16, size: [16, 12], stride: 4 });
    await expect(cutOnnxBackbone(smallNet(false), { taps: ['stage9'] })).rejects.toThrow(
      /tap 'stage9' is not a tensor/,
    );
    await expect(cutOnnxBackbone(smallNet(false), { taps: ['logits'] })).rejects.toThrow(/not a 4-D/);
    await expect(cutOnnxBackbone(smallNet(false), { taps: ['stage1'], inputSize: [64, 64] })).rejects.toThrow(
      /fixed at 32×32/,
    );
  });

  it('stores imported backbones in the cache and verifies their sha256 on load', async () => {
    const file = join(tmp, 'small.onnx');
    writeFileSync(file, smallNet(false));
    const imp = await importOnnxBackbone(file, tmp, { id: 'small_net', taps: ['stage1', 'stage2'] });
    expect(imp.descriptor.source).toBe('onnx-import');
    expect(imp.descriptor.mean).toEqual([0.485, 0.456, 0.406]);
    const again = await ensureBackbone('small_net', tmp);
    expect(again.generated).toBe(false);
    expect(again.descriptor.sha256).toBe(imp.descriptor.sha256);
    const bytes = readFileSync(again.path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(again.path, bytes);
    await expect(ensureBackbone('small_net', tmp)).rejects.toThrow(/failed its sha256 check/);
    await expect(ensureBackbone('no_such_net', tmp)).rejects.toThrow(/unknown backbone 'no_such_net'/);
  });
});
