// Training tries providers in inference's order (Settings → Inference runtime), and always ends
// with the CPU so a fit falls back instead of failing when no GPU provider works; a session made
// with that order says which provider ran and why each one before it was skipped.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { DEFAULT_PROVIDER_ORDER, createSession, probeProvider, trainingProviderOrder } from '../../../src/main/runtime';

describe('trainingProviderOrder', () => {
  it("keeps inference's order and appends the CPU when the order leaves it out", () => {
    expect(trainingProviderOrder(DEFAULT_PROVIDER_ORDER)).toEqual(DEFAULT_PROVIDER_ORDER);
    expect(trainingProviderOrder(['webgpu', 'cpu', 'cuda'])).toEqual(['webgpu', 'cpu', 'cuda']);
    expect(trainingProviderOrder(['cuda'])).toEqual(['cuda', 'cpu']);
    expect(trainingProviderOrder(['dml', 'dml'])).toEqual(['dml', 'cpu']);
  });

  it('a session on that order records the provider that ran and the probe reason of each skipped one', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 2]);
    g.output(g.add(x, x, 'y'));
    const handle = await createSession(serializeModel(g.toModelProto()), {
      providerOrder: trainingProviderOrder(['cuda', 'webgpu']),
    });
    try {
      const tried = [...handle.skipped.map((s) => s.name), handle.provider];
      expect(tried[tried.length - 1]).toBe(handle.provider);
      for (const s of handle.skipped) {
        // The same probe Settings → Inference runtime shows.
        const probe = await probeProvider(s.name);
        if (!probe.available) expect(s.reason).toBe(probe.reason);
      }
      // Whatever this machine has, the CPU is the last resort and every GPU before it is explained.
      expect(['cuda', 'webgpu', 'cpu']).toContain(handle.provider);
    } finally {
      await handle.session.release();
    }
  });
});
