// Measurements for docs/benchmarks.md: STPM fit + evaluation on an MVTec-layout category (image /
// pixel AUROC and AUPRO through the generic model runner, as the live loop scores).
// Run: npx tsx src/main/methods/stpm/bench.ts <categoryDir> <trainCount> <testCount> [preset] [configJson]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMvtecCategory } from '../../eval/datasets';
import { CategoryEvaluator } from '../../eval/metrics';
import { loadMask } from '../patchcore/eval';
import { loadModelPackage } from '../../models/runner';
import { exportStpm } from './export';
import { fitStpm } from './fit';
import type { StpmConfig, StpmPresetName } from './types';

export const evenly = <T>(items: T[], n: number): T[] =>
  n >= items.length
    ? items.slice()
    : Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);

export async function benchStpmCategory(
  dir: string,
  trainCount: number,
  testCount: number,
  preset: StpmPresetName,
  cacheDir: string,
  config: Partial<StpmConfig> = {},
) {
  const ds = await readMvtecCategory(dir);
  const train = evenly(ds.train, trainCount);
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
  const ev = new CategoryEvaluator();
  for (const t of evenly(ds.test, testCount)) {
    const o = await runner.score(t.path);
    const mask = ds.hasMasks ? await loadMask(t.maskPath, t.path, runner.info.preprocess) : null;
    ev.add({
      path: t.path,
      label: t.label,
      score: o.rawScore,
      map: mask ? (o.map ?? undefined) : undefined,
      mask: mask && t.label === 1 ? mask : null,
      width: o.width,
      height: o.height,
    });
  }
  await runner.release();
  const m = ev.finish();
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
