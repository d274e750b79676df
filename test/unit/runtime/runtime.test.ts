import { describe, expect, it } from 'vitest';
import { GraphBuilder, serializeModel } from '../../../src/main/onnx';
import {
  createSession,
  float32Tensor,
  listExecutionProviders,
  onnxRuntimeVersion,
  runSession,
  toFloat32,
} from '../../../src/main/runtime';

describe('runtime', () => {
  it('reports the ORT version and probes providers (cpu always works)', async () => {
    expect(onnxRuntimeVersion()).toMatch(/^1\.\d+\.\d+/);
    const eps = await listExecutionProviders();
    expect(eps.map((e) => e.name)).toEqual(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
    const cpu = eps.find((e) => e.name === 'cpu')!;
    expect(cpu.available).toBe(true);
    for (const e of eps) expect(e.reason.length).toBeGreaterThan(5);
    expect(await listExecutionProviders()).toEqual(eps); // cached: same reasons, same timings
  });

  it('falls back to cpu and computes MatMul + Add like a JS reference', async () => {
    const g = new GraphBuilder('mm');
    const x = g.input('x', 'float32', ['N', 3]);
    const wData = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bData = Float32Array.from([0.5, -1]);
    const w = g.initializer('w', wData, [3, 2]);
    const b = g.initializer('b', bData, [2]);
    g.output(g.add(g.matmul(x, w), b, 'y'), 'float32', ['N', 2]);
    const eps = await listExecutionProviders();
    const h = await createSession(serializeModel(g.toModelProto()), {
      providerOrder: ['cuda', 'dml', 'cpu'],
      intraOpNumThreads: 1,
    });
    const firstUsable = eps.find((e) => e.available && ['cuda', 'dml', 'cpu'].includes(e.name))!.name;
    expect(h.provider).toBe(firstUsable);
    if (firstUsable === 'cpu') expect(h.skipped.map((s) => s.name)).toEqual(['cuda', 'dml']);
    const xs = [1, 2, 3, -1, 0, 2];
    const out = toFloat32((await runSession(h.session, { x: float32Tensor(xs, [2, 3]) })).y);
    const ref: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        let s = bData[j];
        for (let k = 0; k < 3; k++) s += xs[i * 3 + k] * wData[k * 2 + j];
        ref.push(s);
      }
    expect(Array.from(out)).toEqual(ref);
    await h.session.release();
  });

  it('explains when no provider in the order is usable', async () => {
    const eps = await listExecutionProviders();
    const unusable = eps.filter((e) => !e.available).map((e) => e.name);
    if (unusable.length === 0) return;
    const g = new GraphBuilder('id');
    g.output(g.identity(g.input('x', 'float32', [1]), 'y'));
    await expect(
      createSession(serializeModel(g.toModelProto()), { providerOrder: unusable }),
    ).rejects.toThrow(/no execution provider could run this model/);
  });
});
