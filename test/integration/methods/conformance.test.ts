// Conformance of every registered method (src/main/methods/registry.ts): its smallest preset,
// shrunk by the method's `testConfig`, fits on a tiny generated set in its worker thread; the
// package loads through the runner the live loop uses (src/main/models/runner.ts) and must give
// finite scores of the contract's shapes, a normalisation that maps the calibration images into
// [0, 1], and higher scores for synthetic defects than for unseen good images. A new method gets
// this test by registering.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyBackbone } from '../../helpers/tiny-backbone';
import { encodePng } from '../../../src/main/imaging/encode';
import { METHODS } from '../../../src/main/methods/registry';
import type { MethodProgress } from '../../../src/main/methods/types';
import { loadModelPackage } from '../../../src/main/models/runner';
import { modelJsonSchema, normaliseScore } from '../../../src/main/models/schema';
import { DEFAULT_PROVIDER_ORDER } from '../../../src/main/runtime';
import { crossValidateGoodRates } from '../../../src/main/wizard/cross-validate';
import { synthesizeAnomaly } from '../../../src/main/synthetic';
import { createRng } from '../../../src/main/util/rng';

const SIZE = 64;

/** A smooth seeded "part": low-frequency shading plus mild noise, different per image. */
function goodPixels(seed: number): Uint8Array {
  const rng = createRng(seed);
  const px = new Uint8Array(SIZE * SIZE * 3);
  const phase = rng.uniform(0, 0.6);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const v = 120 + 40 * Math.sin(x * 0.15 + phase) * Math.cos(y * 0.12) + rng.normal() * 4;
      for (let c = 0; c < 3; c++)
        px[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + c * 8)));
    }
  return px;
}

/** High-contrast noise: the texture synthetic defects are cut from. */
function noiseTexture(seed: number): Uint8Array {
  const rng = createRng(seed);
  return new Uint8Array(SIZE * SIZE * 3).map(() => (rng.next() < 0.5 ? 0 : 255));
}

let dir: string;
let fitSet: string[];
let calibrationSet: string[];
let unseenGood: string[];
let defects: string[];

async function png(name: string, data: Uint8Array): Promise<string> {
  const p = join(dir, name);
  writeFileSync(p, await encodePng({ width: SIZE, height: SIZE, channels: 3, data }));
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'method-conformance-'));
  const goods: string[] = [];
  for (let i = 0; i < 20; i++) goods.push(await png(`good_${i}.png`, goodPixels(100 + i)));
  fitSet = goods.slice(0, 10);
  calibrationSet = goods.slice(10, 14);
  unseenGood = goods.slice(14);
  defects = [];
  for (let i = 0; i < 4; i++) {
    const base = { data: goodPixels(200 + i), width: SIZE, height: SIZE };
    const tex = { data: noiseTexture(300 + i), width: SIZE, height: SIZE };
    const s = synthesizeAnomaly(base, tex, 400 + i, { maxBeta: 0.2 });
    expect(s.label).toBe(1);
    defects.push(await png(`defect_${i}.png`, s.image.data));
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(METHODS.map((m) => [m.id, m] as const))('method %s', (_id, method) => {
  it('fits its smallest preset in a worker and its package passes the runner checks', async () => {
    const preset = method.presets[0];
    const out = join(dir, `pkg-${method.id}`);
    const backbone = method.needs.pretrainedBackbone
      ? buildTinyBackbone({ graphName: 'tiny', seed: 3, size: SIZE, channels: [8, 16, 16, 16], biasStd: 0.1 })
      : null;
    const progress: MethodProgress[] = [];
    const result = await method.fit(
      {
        images: fitSet,
        calibrationImages: calibrationSet,
        preset: preset.id,
        outDir: out,
        cacheDir: join(dir, 'cache'),
        backbone,
        config: method.testConfig,
      },
      (p) => progress.push(p),
    ).result;

    // Progress: stages with done ≤ total and a non-negative ETA once known.
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.done).toBeLessThanOrEqual(p.total);
      if (p.etaMs !== null) expect(p.etaMs).toBeGreaterThanOrEqual(0);
    }

    // The one package shape, written completely (no temp files left).
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
    const json = modelJsonSchema.parse(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')));
    expect(json.method).toBe(method.id);
    expect(result.modelJson.method).toBe(method.id);
    expect(json.deviations.length).toBeGreaterThan(0);
    expect(json.training.imageCount).toBe(fitSet.length);
    expect(json.training.calibrationCount).toBe(calibrationSet.length);
    // Methods that train on the engine say where the step ran: the first provider of the order
    // that worked, each one before it skipped with its reason (here: the CPU, every GPU skipped).
    if (method.needs.gradientTraining) {
      const device = json.training.device;
      if (!device) throw new Error(`${method.id} trains on the engine but model.json has no training.device`);
      const tried = [...device.skipped.map((s) => s.name), device.provider];
      expect(tried).toEqual(DEFAULT_PROVIDER_ORDER.slice(0, tried.length));
      for (const s of device.skipped) expect(s.reason).toMatch(/\w{4}/);
    } else expect(json.training.device).toBeUndefined();

    const runner = await loadModelPackage(out);
    try {
      expect(runner.info.method).toBe(method.id);
      const scored = await runner.scoreBatch([...calibrationSet, ...unseenGood, ...defects]);
      for (const o of scored) {
        expect(Number.isFinite(o.rawScore)).toBe(true);
        expect(o.normScore).toBeCloseTo(normaliseScore(o.rawScore, json.normalisation), 6);
        if (method.pixelMap) {
          if (!o.map) throw new Error(`${method.id} declares a pixel map but returned none`);
          expect([o.width, o.height]).toEqual([json.input.width, json.input.height]);
          expect(o.map.length).toBe(o.width * o.height);
          expect(o.map.every(Number.isFinite)).toBe(true);
        } else {
          // An image-level method declares no map and the runner invents none.
          expect(json.outputs.map).toBeNull();
          expect(o.map).toBeNull();
        }
      }
      // The calibration images span exactly [0, 1] on the normalised scale.
      const cal = scored.slice(0, calibrationSet.length).map((o) => o.normScore);
      expect(Math.min(...cal)).toBeCloseTo(0, 3);
      expect(Math.max(...cal)).toBeCloseTo(1, 3);
      // The wizard's out-of-sample good-part estimate works on this method's raw scores (four
      // calibration images: leave-one-out, each scored by a range made from the other three).
      const cv = crossValidateGoodRates(
        scored.slice(0, calibrationSet.length).map((o) => o.rawScore),
        { kind: 'suggested', targetFalseRejectRate: 0.02, reviewBudget: 0.05 },
      );
      expect(cv.estimate).toMatchObject({ images: calibrationSet.length, folds: calibrationSet.length });
      expect(cv.estimate!.falseRejectInterval.every(Number.isFinite)).toBe(true);
      // Every synthetic defect above every good image the model has not seen.
      const good = scored.slice(calibrationSet.length, calibrationSet.length + unseenGood.length);
      const bad = scored.slice(calibrationSet.length + unseenGood.length);
      const worstGood = Math.max(...good.map((o) => o.normScore));
      for (const o of bad) expect(o.normScore).toBeGreaterThan(worstGood);
    } finally {
      await runner.release();
    }
  }, 300_000); // DRAEM's fit is the slowest of the six and took over 120 s on a loaded runner
});
