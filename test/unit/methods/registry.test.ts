// The registry is the one list of methods: the build's worker entries, the CLI and the wizard all
// follow it, and every method states what the contract asks for.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { methodWorkerEntries } from '../../../electron.vite.config';
import { fitCommand, parseFitSettings } from '../../../src/main/cli/fit-command';
import { evalCommand } from '../../../src/main/cli/eval-command';
import { CliUsageError } from '../../../src/main/cli/args';
import { METHODS, findMethod, packagePreset } from '../../../src/main/methods/registry';
import { WIZARD_METHODS } from '../../../src/main/wizard/methods';

describe('method registry', () => {
  it('gives every method a unique id, presets, a default preset and a worker entry in its folder', () => {
    const ids = METHODS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of METHODS) {
      expect(m.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(m.presets.length, m.id).toBeGreaterThan(0);
      expect(
        m.presets.map((p) => p.id),
        m.id,
      ).toContain(m.defaultPreset);
      expect(m.backbones.length, m.id).toBeGreaterThan(0);
      expect(m.workerEntry.name).toBe(`${m.id}-fit-worker`);
      expect(resolve(m.workerEntry.source)).toBe(resolve('src/main/methods', m.id, 'fit.worker.ts'));
      expect(existsSync(m.workerEntry.source), m.workerEntry.source).toBe(true);
      if (m.needs.gradientTraining) expect(m.resumable, m.id).toBe(true);
    }
  });

  it('is what the build bundles: one worker entry per method folder, no more, no less', () => {
    const built = methodWorkerEntries(resolve(__dirname, '../../..'));
    expect(Object.keys(built).sort()).toEqual(METHODS.map((m) => m.workerEntry.name).sort());
    for (const m of METHODS) expect(resolve(built[m.workerEntry.name])).toBe(resolve(m.workerEntry.source));
  });

  it('estimates memory from the image count: positive and growing with the set', () => {
    for (const m of METHODS)
      for (const p of m.presets) {
        const small = p.memoryBytes(10);
        const large = p.memoryBytes(1000);
        expect(small, `${m.id}/${p.id}`).toBeGreaterThan(0);
        expect(large, `${m.id}/${p.id}`).toBeGreaterThanOrEqual(small);
      }
  });

  it('offers in the wizard exactly the presets with a prior cost', () => {
    for (const m of METHODS) {
      const w = WIZARD_METHODS.find((x) => x.id === m.id)!;
      expect(w.presets.map((p) => p.id)).toEqual(
        m.presets.filter((p) => p.wizard && p.prior !== undefined).map((p) => p.id),
      );
    }
  });

  it('drives the CLI: every method and preset is accepted, help names them, others are refused', () => {
    for (const m of METHODS) {
      expect(fitCommand.usage).toContain(m.id);
      expect(evalCommand.usage).toContain(m.id);
      for (const p of m.presets) {
        const s = parseFitSettings({ method: m.id, preset: p.id });
        expect(s.method).toBe(m);
        expect(s.backbone).toBe(m.backbones[0]);
      }
      expect(() => parseFitSettings({ method: m.id, preset: 'no-such-preset' })).toThrow(CliUsageError);
      expect(() => parseFitSettings({ method: m.id, backbone: 'no-such-backbone' })).toThrow(CliUsageError);
    }
    expect(() => parseFitSettings({ method: 'no-such-method' })).toThrow(/available: /);
    expect(parseFitSettings({}).method).toBe(METHODS[0]);
  });

  it('reads a package preset from params.preset, else from the method', () => {
    expect(packagePreset({ method: 'x', params: { preset: 'fast' } })).toBe('fast');
    expect(packagePreset({ method: 'no-such-method', params: {} })).toBeNull();
    const pc = findMethod('patchcore')!;
    expect(pc.presetOf).toBeDefined();
    expect(
      packagePreset({
        method: 'patchcore',
        backbone: { id: 'mobilenet_v2', taps: [] },
        input: { width: 224 },
        params: { coresetRatio: 0.01, reduction: { dim: 128 } },
      } as never),
    ).toBe('fast');
  });
});
