// DRAEM's wiring: CLI option parsing, the wizard entry, and the synthetic contact sheet.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseFitSettings } from '../../../src/main/cli/fit-command';
import { synthSheet } from '../../../src/main/cli/synth-sheet-command';
import { WIZARD_METHODS } from '../../../src/main/wizard/methods';
import { drawTexture } from '../../../src/main/synthetic';
import { createRng } from '../../../src/main/util/rng';

describe('DRAEM wiring', () => {
  it('CLI: --method draem defaults to the station preset and checks its options', () => {
    expect(parseFitSettings({ method: 'draem' })).toMatchObject({
      method: { id: 'draem' },
      preset: 'station',
    });
    expect(parseFitSettings({ method: 'draem', preset: 'paper', textures: '/t' })).toMatchObject({
      preset: 'paper',
      textures: '/t',
    });
    expect(() => parseFitSettings({ method: 'draem', preset: 'fast' })).toThrow(/station, paper/);
    expect(() => parseFitSettings({ method: 'draem', backbone: 'mobilenet_v2' })).toThrow(
      /cannot be changed/,
    );
    expect(() => parseFitSettings({ method: 'patchcore', textures: '/t' })).toThrow(/draem\) only/);
    expect(parseFitSettings({}).preset).toBe('fast'); // other methods keep their default
  });

  it('wizard: DRAEM offered with the station preset first (the default) and a paper preset', () => {
    const m = WIZARD_METHODS.find((x) => x.id === 'draem')!;
    expect(m.availability().available).toBe(true);
    expect(m.presets.map((p) => p.id)).toEqual(['station', 'paper']);
    expect(m.presets[0].description).toMatch(/64 px/);
  });

  it('synth-sheet: one row cell per sample (good | texture | anomaly | mask) and a record each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draem-sheet-'));
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = drawTexture(createRng(i), 40, 40, { kinds: ['fractal'] });
      const p = join(dir, `g${i}.png`);
      await sharp(Buffer.from(t.data), { raw: { width: 40, height: 40, channels: 3 } })
        .png()
        .toFile(p);
      paths.push(p);
    }
    const sheet = await synthSheet(paths, { count: 5, size: 32, seed: 1, columns: 2, textures: [] });
    const meta = await sharp(sheet.png).metadata();
    // 2 columns × (4 panels × (32 + 4) + 12) + 4 wide; 3 rows × 36 + 4 high.
    expect([meta.width, meta.height]).toEqual([2 * (4 * 36 + 12) + 4, 3 * 36 + 4]);
    expect(sheet.samples).toHaveLength(5);
    for (const s of sheet.samples) {
      expect(s.augmentations).toHaveLength(3);
      expect(s.maskFraction as number).toBeGreaterThan(0);
    }
  });
});
