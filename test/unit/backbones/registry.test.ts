import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_BACKBONES, ensureBackbone } from '../../../src/main/backbones';
import { parseModel } from '../../../src/main/onnx';

const tmp = mkdtempSync(join(os.tmpdir(), 'bb-registry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bundled backbone registry and cache', () => {
  it('converts mobilenet_v2 on first use with stride-8 and stride-16 taps, then serves the cache', async () => {
    const first = await ensureBackbone('mobilenet_v2', tmp);
    expect(first.generated).toBe(true);
    expect(basename(first.path)).toMatch(/^mobilenet_v2-[0-9a-f]{12}\.onnx$/);
    const d = first.descriptor;
    expect(d).toMatchObject({
      id: 'mobilenet_v2',
      source: 'nsfwjs-mobilenet_v2',
      inputSize: [224, 224],
      inputName: 'input',
      channelOrder: 'RGB',
      valueRange: [0, 1],
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    expect(d.taps).toEqual([
      { name: 'block_6_expand_relu', channels: 192, size: [28, 28], stride: 8 },
      { name: 'block_10_expand_relu', channels: 384, size: [14, 14], stride: 16 },
    ]);
    const model = parseModel(readFileSync(first.path));
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['block_6_expand_relu', 'block_10_expand_relu']);
    // Cut right after the deepest tap: nothing from block 11 on.
    expect(model.graph!.node!.some((n) => /block_1[1-6]|Conv_1|dense/.test(n.name ?? ''))).toBe(false);
    expect(model.metadataProps?.find((p) => p.key === 'backbone')?.value).toBe('mobilenet_v2');

    const second = await ensureBackbone('mobilenet_v2', tmp);
    expect(second.generated).toBe(false);
    expect(second.descriptor.sha256).toBe(d.sha256);

    // A corrupted file is detected by its sha256 and regenerated.
    const bytes = readFileSync(first.path);
    bytes[100] ^= 0xff;
    writeFileSync(first.path, bytes);
    const third = await ensureBackbone('mobilenet_v2', tmp);
    expect(third.generated).toBe(true);
    expect(third.descriptor.sha256).toBe(d.sha256); // conversion is deterministic
  });

  it('keys the cache by taps and checks the known-tap table', async () => {
    const known = BUNDLED_BACKBONES.mobilenet_v2.knownTaps;
    const r = await ensureBackbone('mobilenet_v2', tmp, { taps: known.map((t) => t.name) });
    expect(r.generated).toBe(true);
    expect(r.descriptor.taps.map((t) => ({ name: t.name, stride: t.stride, channels: t.channels }))).toEqual(
      known,
    );
    await expect(ensureBackbone('mobilenet_v2', tmp, { taps: ['not_a_layer'] })).rejects.toThrow(
      /tap 'not_a_layer' is not a layer/,
    );
  });
});
