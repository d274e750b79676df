// Measurements for docs/benchmarks.md: DFR fit + evaluation on an MVTec-layout category (image
// and pixel AUROC through the generic model runner, exactly as the live loop scores), and
// training-step vs forward-only times of the engine (DFR autoencoder; a ResNet18-sized conv net).
// Run: npx tsx src/main/methods/dfr/bench.ts eval <categoryDir> <trainCount> <testCount> [preset]
//      npx tsx src/main/methods/dfr/bench.ts steps
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMvtecCategory } from '../../eval/datasets';
import { evenSubsample, evaluateRunner } from '../../eval/runner-eval';
import { loadModelPackage } from '../../models/runner';
import { GraphBuilder } from '../../onnx/builder';
import { serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { resnet18 } from '../../engine/bench';
import { ModelBuilder, initialValue } from '../../engine/model';
import { createRng } from '../../util/rng';
import { bceWithLogitsLoss } from '../../engine/losses';
import { buildTrainingStep, type TrainingStepGraph } from '../../engine/train-step';
import { Trainer } from '../../engine/trainer';
import { exportDfr } from './export';
import { fitDfr } from './fit';
import { autoencoder, buildDfrTrainingStep } from './graph';
import type { DfrConfig, DfrPresetName } from './types';

export async function benchDfrCategory(
  dir: string,
  trainCount: number,
  testCount: number,
  preset: DfrPresetName,
  cacheDir: string,
  config: Partial<DfrConfig> = {},
) {
  const ds = await readMvtecCategory(dir);
  const train = evenSubsample(ds.train, trainCount);
  const t0 = performance.now();
  let last = '';
  const fitted = await fitDfr({
    images: train,
    preset,
    config,
    cacheDir,
    onProgress: (p) => {
      const line = `${p.stage} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(5)}` : ''}`;
      if (p.stage !== 'train' || p.done === p.total || p.done % 50 === 0)
        if (line !== last) console.error((last = line));
    },
  });
  const fitMs = performance.now() - t0;
  const out = mkdtempSync(join(tmpdir(), 'dfr-bench-'));
  await exportDfr(fitted, out, { preset });
  const runner = await loadModelPackage(out);
  const test = evenSubsample(ds.test, testCount);
  const { metrics: m, latenciesMs: lat } = await evaluateRunner(runner, test, {
    hasMasks: ds.hasMasks,
    score: 'raw',
  }).finally(() => runner.release());
  lat.sort((a, b) => a - b);
  return {
    category: ds.category,
    preset,
    train: fitted.trainImageCount,
    calibration: fitted.calibration.count,
    test: test.length,
    imageAuroc: m.imageAuroc,
    pixelAuroc: m.pixel?.pixelAuroc ?? NaN,
    latentDim: fitted.latentDim,
    channels: fitted.channels,
    explainedVariance: fitted.explainedVariance,
    finalLoss: fitted.epochLosses.at(-1),
    fitS: fitMs / 1000,
    timingsMs: fitted.timings,
    medianScoreMs: lat[Math.floor(lat.length / 2)],
  };
}

async function timeIt(f: () => Promise<unknown>, reps: number): Promise<number> {
  await f(); // warm-up (allocations, first-run kernels)
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

async function forwardSession(define: (mb: ModelBuilder) => string, step: TrainingStepGraph, seed: number) {
  // Inference-mode forward with the same parameters baked in (what an exported model runs).
  const rng = createRng(seed);
  const values = new Map<string, Float32Array>();
  for (const p of [...step.params, ...step.buffers]) values.set(p.name, initialValue(p, rng));
  const g = new GraphBuilder('fwd');
  const mb = new ModelBuilder(g, { training: false, values });
  g.output(define(mb));
  return (await createSession(serializeModel(g.toModelProto()), { providerOrder: ['cpu'] })).session;
}

export async function benchSteps(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  // DFR autoencoder on one 256-px batch of 8 images = 8 × 64² locations, C = 816, d = 100 (typical).
  {
    const [C, d, R] = [816, 100, 8 * 64 * 64];
    const step = buildDfrTrainingStep(C, d, R);
    const tr = await Trainer.create(step);
    const x = new Float32Array(R * C).map((_, i) => ((i * 2654435761) % 1000) / 1000);
    const trainMs = await timeIt(() => tr.trainStep({ x }, 1e-4), 3);
    await tr.release();
    const fwd = await forwardSession(
      (mb) => autoencoder(mb, mb.g.input('x', 'float32', [R, C]), C, d),
      step,
      0,
    );
    const fwdMs = await timeIt(() => fwd.run({ x: float32Tensor(x, [R, C]) }), 3);
    await fwd.release();
    rows.push({
      model: 'DFR autoencoder (816→…→100→…→816), 8 imgs × 64² locations',
      trainStepMs: trainMs,
      forwardMs: fwdMs,
      ratio: trainMs / fwdMs,
    });
  }
  {
    const B = 8;
    const S = 256;
    const define = (mb: ModelBuilder) => resnet18(mb, mb.g.input('x', 'float32', [B, 3, S, S]), B);
    const step = buildTrainingStep({
      optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
      define: (mb) => ({ loss: bceWithLogitsLoss(mb.g, define(mb), mb.g.input('y', 'float32', [B, 1])) }),
    });
    const tr = await Trainer.create(step);
    const x = new Float32Array(B * 3 * S * S).map((_, i) => ((i * 2654435761) % 1000) / 500 - 1);
    const y = Float32Array.from({ length: B }, (_, i) => i % 2);
    const trainMs = await timeIt(() => tr.trainStep({ x, y }, 0.01), 2);
    await tr.release();
    const fwd = await forwardSession(define, step, 0);
    const fwdMs = await timeIt(() => fwd.run({ x: float32Tensor(x, [B, 3, S, S]) }), 2);
    await fwd.release();
    rows.push({
      model: 'ResNet18-sized conv net, batch 8 × 3 × 256²',
      trainStepMs: trainMs,
      forwardMs: fwdMs,
      ratio: trainMs / fwdMs,
    });
  }
  return rows;
}

if (require.main === module) {
  void (async () => {
    const [cmd, ...args] = process.argv.slice(2);
    if (cmd === 'steps') console.log(JSON.stringify(await benchSteps(), null, 2));
    else if (cmd === 'eval') {
      const [dir, train, test, preset, overrides] = args;
      const r = await benchDfrCategory(
        dir,
        Number(train),
        Number(test),
        (preset ?? 'fast') as DfrPresetName,
        join(tmpdir(), 'dfr-bench-cache'),
        overrides ? (JSON.parse(overrides) as Partial<DfrConfig>) : {},
      );
      console.log(JSON.stringify(r, null, 2));
    } else
      console.error(
        'usage: bench.ts steps | eval <categoryDir> <train> <test> [fast|accurate] [config JSON]',
      );
  })();
}
