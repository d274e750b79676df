// model.json's training.device: where a method that trains on the engine ran its training step.
// Packages written before it was recorded still load; a present record is checked strictly.
import { describe, expect, it } from 'vitest';
import { buildModelJson } from '../../../src/main/methods/common/package';
import { modelJsonSchema } from '../../../src/main/models/schema';

const envelope = {
  method: 'dfr',
  version: '1',
  backbone: { id: 'mobilenet_v2', taps: [] },
  input: {
    name: 'input',
    layout: 'NCHW' as const,
    width: 32,
    height: 32,
    resize: 0,
    mean: [0.5, 0.5, 0.5] as [number, number, number],
    std: [0.25, 0.25, 0.25] as [number, number, number],
    channelOrder: 'RGB' as const,
  },
  params: {},
  deviations: ['test'],
  calibration: { count: 4, min: 0.1, max: 0.9, mean: 0.5, source: 'held-out' },
  fingerprint: 'a'.repeat(64),
  trainImageCount: 12,
};
const device = {
  provider: 'cpu',
  skipped: [
    { name: 'cuda', reason: 'probe failed: libcublas.so.12 not found' },
    { name: 'dml', reason: 'not built into onnxruntime-node for linux-x64' },
  ],
};

describe('model.json training.device', () => {
  it('is written from the export options and read back', () => {
    const json = buildModelJson(envelope as never, { device });
    expect(json.training.device).toEqual(device);
    expect(modelJsonSchema.parse(JSON.parse(JSON.stringify(json))).training.device).toEqual(device);
  });

  it('is absent from packages written before it existed, and those still load', () => {
    const old = JSON.parse(JSON.stringify(buildModelJson(envelope as never)));
    expect('device' in old.training).toBe(false);
    expect(modelJsonSchema.parse(old).training.device).toBeUndefined();
  });

  it('refuses a malformed record instead of carrying it along', () => {
    const json = JSON.parse(JSON.stringify(buildModelJson(envelope as never, { device })));
    const bad = (d: unknown) => modelJsonSchema.safeParse({ ...json, training: { ...json.training, device: d } });
    expect(bad({ skipped: [] }).success).toBe(false);
    expect(bad({ provider: '', skipped: [] }).success).toBe(false);
    expect(bad({ ...device, extra: 1 }).success).toBe(false);
    expect(bad({ provider: 'cpu', skipped: [{ name: 'cuda' }] }).success).toBe(false);
  });
});
