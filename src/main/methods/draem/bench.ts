// Measurements for docs/benchmarks.md: DRAEM training-step time and peak memory per preset, on
// random batches (the simulation's cost is excluded; it is measured separately as `simMs`).
// Run: npx tsx src/main/methods/draem/bench.ts steps <station|paper> [batch] [steps]
import { Trainer } from '../../engine/trainer';
import { drawTexture } from '../../synthetic';
import { buildDraemTrainingStep } from './graph';
import { BatchMaker } from './simulate';
import { DRAEM_PRESET_NAMES, resolveDraemConfig, type DraemPresetName } from './types';
import { createRng } from '../../util/rng';

async function benchSteps(
  preset: DraemPresetName,
  batch: number,
  steps: number,
): Promise<Record<string, unknown>> {
  const cfg = resolveDraemConfig(preset, { batch });
  const S = cfg.inputSize;
  const goods = [0, 1, 2, 3].map((i) => drawTexture(createRng(i), S, S, { kinds: ['fractal'] }));
  const maker = new BatchMaker(goods, S, batch, 0, {
    cleanProbability: 0.5,
    preRotateProbability: 0.3,
    userTextures: [],
  });
  const t0 = performance.now();
  const trainer = await Trainer.create(
    buildDraemTrainingStep({ inputSize: S, recBase: cfg.recBase, discBase: cfg.discBase, batch }),
    { seed: 0 },
  );
  const buildMs = performance.now() - t0;
  const times: number[] = [];
  let simMs = 0;
  try {
    for (let i = 0; i < steps; i++) {
      const ts = performance.now();
      const b = maker.fill(i * batch);
      simMs += performance.now() - ts;
      const t = performance.now();
      await trainer.trainStep({ augmented: b.augmented, clean: b.clean, mask: b.mask }, cfg.lr);
      times.push(performance.now() - t);
    }
  } finally {
    await trainer.release();
  }
  const sorted = times.slice(1).sort((a, b) => a - b);
  return {
    preset,
    inputSize: S,
    widths: `${cfg.recBase}/${cfg.discBase}`,
    batch,
    buildMs: Math.round(buildMs),
    firstStepMs: Math.round(times[0]),
    medianStepMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? times[0]),
    simMsPerSample: Number((simMs / (steps * batch)).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

const [cmd, preset = 'station', batch, steps] = process.argv.slice(2);
if (cmd !== 'steps' || !(DRAEM_PRESET_NAMES as readonly string[]).includes(preset)) {
  console.error('usage: npx tsx src/main/methods/draem/bench.ts steps <station|paper> [batch] [steps]');
  process.exit(2);
}
void benchSteps(preset as DraemPresetName, Number(batch ?? 8), Number(steps ?? 4)).then((r) =>
  console.log(JSON.stringify(r)),
);
