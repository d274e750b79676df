// Measurements for docs/benchmarks.md: STPM fit + evaluation on an MVTec-layout category (image /
// pixel AUROC and AUPRO through the generic model runner, as the live loop scores).
// Run: npx tsx src/main/methods/stpm/bench.ts <categoryDir> <trainCount> <testCount> [preset] [configJson]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMvtecCategory } from '../../eval/datasets';
import { evenSubsample, evaluateRunner } from '../../eval/runner-eval';
import { loadModelPackage } from '../../models/runner';
import { exportStpm } from './export';
import { fitStpm } from './fit';
import type { StpmConfig, StpmPresetName } from './types';

export async function benchStpmCategory(
  dir: string,
  trainCount: number,
  testCount: number,
  preset: StpmPresetName,
  cacheDir: string,
  config: Partial<StpmConfig> = {},
) {
  const ds = await readMvtecCategory(dir);
  const train = evenSubsample(ds.train, trainCount);
  const t0 = performance.now();
  let last = '';
  const fitted = await fitStpm({
    images: train,
    preset,
    config,
    cacheDir,
    onProgress: (p) => {
      if (p.stage !== 'validate' && p.stage !== 'features') return;
      const line = `${p.stage} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(5)}` : ''}`;
      if (line !== last) console.error((last = line));
    },
  });
  const fitMs = performance.now() - t0;
  const out = mkdtempSync(join(tmpdir(), 'stpm-bench-'));
  await exportStpm(fitted, out, { preset });
  const runner = await loadModelPackage(out);
  const { metrics: m } = await evaluateRunner(runner, evenSubsample(ds.test, testCount), {
    hasMasks: ds.hasMasks,
    score: 'raw',
  }).finally(() => runner.release());
  return {
    category: ds.category,
    preset,
    config,
    train: fitted.trainImageCount,
    validation: fitted.calibration.count,
    imageAuroc: m.imageAuroc,
    pixelAuroc: m.pixel?.pixelAuroc ?? NaN,
    aupro: m.pixel?.aupro ?? NaN,
    bestEpoch: fitted.bestEpoch,
    epochLosses: fitted.epochLosses.map((l) => +l.toFixed(4)),
    validationLosses: fitted.validationLosses.map((l) => +l.toFixed(4)),
    fitS: +(fitMs / 1000).toFixed(1),
    timingsMs: fitted.timings,
  };
}

if (require.main === module) {
  const [dir, trainCount, testCount, preset, json] = process.argv.slice(2);
  void benchStpmCategory(
    dir,
    Number(trainCount),
    Number(testCount),
    (preset ?? 'station') as StpmPresetName,
    join(tmpdir(), 'stpm-bench-cache'),
    json ? (JSON.parse(json) as Partial<StpmConfig>) : {},
  ).then((r) => console.log(JSON.stringify(r)));
}
