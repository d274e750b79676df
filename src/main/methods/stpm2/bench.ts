// Measurements for docs/benchmarks.md "Two-pair STPM": one stpm2 fit on an MVTec-layout category,
// then image / pixel AUROC and AUPRO of the combined graph and of each pair's own graph (pair 1
// alone is exactly STPM with the same images, preset and seed).
// Run: npx tsx src/main/methods/stpm2/bench.ts <categoryDir> <trainCount> <testCount> [preset] [configJson]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMvtecCategory } from '../../eval/datasets';
import { evenSubsample } from '../../eval/runner-eval';
import { loadMask } from '../../eval/image-io';
import { CategoryEvaluator } from '../../eval/metrics';
import { preprocessBatch, type PreprocessSpec } from '../../models/preprocess';
import { createSession, float32Tensor } from '../../runtime';
import { fitStpm2 } from './fit';
import type { Stpm2Config, Stpm2PresetName } from './types';

type Test = Awaited<ReturnType<typeof readMvtecCategory>>['test'];

async function evaluate(modelBytes: Uint8Array, pre: PreprocessSpec, tests: Test, hasMasks: boolean) {
  const { session } = await createSession(modelBytes, { providerOrder: ['cpu'] });
  const ev = new CategoryEvaluator();
  const S = pre.crop;
  try {
    for (const t of tests) {
      const out = await session.run({
        input: float32Tensor(await preprocessBatch([t.path], pre), [1, 3, S, S]),
      });
      const map = out.anomaly_map.data as Float32Array;
      const mask = hasMasks ? await loadMask(t.maskPath, t.path, pre) : null;
      ev.add({
        path: t.path,
        label: t.label,
        score: (out.pred_score.data as Float32Array)[0],
        map: mask ? map : undefined,
        mask: mask && t.label === 1 ? mask : null,
        width: S,
        height: S,
      });
    }
  } finally {
    await session.release();
  }
  const m = ev.finish();
  const pct = (v: number | undefined) => +(100 * (v ?? NaN)).toFixed(1);
  return { imageAuroc: pct(m.imageAuroc), pixelAuroc: pct(m.pixel?.pixelAuroc), aupro: pct(m.pixel?.aupro) };
}

export async function benchStpm2Category(
  dir: string,
  trainCount: number,
  testCount: number,
  preset: Stpm2PresetName,
  cacheDir: string,
  config: Partial<Stpm2Config> = {},
) {
  const ds = await readMvtecCategory(dir);
  const train = evenSubsample(ds.train, trainCount);
  const tests = evenSubsample(ds.test, testCount);
  const t0 = performance.now();
  let last = '';
  const f = await fitStpm2({
    images: train,
    preset,
    config,
    cacheDir,
    onProgress: (p) => {
      if (p.stage !== 'validate' && p.stage !== 'features') return;
      const line = `pair ${p.pair} ${p.stage} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(5)}` : ''}`;
      if (line !== last) console.error((last = line));
    },
  });
  const fitS = +((performance.now() - t0) / 1000).toFixed(1);
  const pre = (p: { crop: number; mean: [number, number, number]; std: [number, number, number] }) => ({
    resize: 0,
    crop: p.crop,
    mean: p.mean,
    std: p.std,
    channelOrder: 'RGB' as const,
  });
  const pair = (x: typeof f.pair1) => ({
    bestEpoch: x.bestEpoch,
    validationLosses: x.validationLosses.map((l) => +l.toFixed(4)),
    fitS: +(x.timings.totalMs / 1000).toFixed(1),
  });
  return {
    category: ds.category,
    preset,
    config,
    train: f.pair1.trainImageCount,
    validation: f.pair1.validationImageCount,
    tests: tests.length,
    fitS,
    pairScales: f.pairScales,
    stpm2: await evaluate(f.modelBytes, pre(f.preprocess), tests, ds.hasMasks),
    pair1: {
      ...(await evaluate(f.pair1.modelBytes, pre(f.pair1.preprocess), tests, ds.hasMasks)),
      ...pair(f.pair1),
    },
    pair2: {
      ...(await evaluate(f.pair2.modelBytes, pre(f.pair2.preprocess), tests, ds.hasMasks)),
      ...pair(f.pair2),
    },
  };
}

if (require.main === module) {
  const [dir, trainCount, testCount, preset, json] = process.argv.slice(2);
  void benchStpm2Category(
    dir,
    Number(trainCount),
    Number(testCount),
    (preset ?? 'station') as Stpm2PresetName,
    join(tmpdir(), 'stpm-bench-cache'),
    json ? (JSON.parse(json) as Partial<Stpm2Config>) : {},
  ).then((r) => console.log(JSON.stringify(r)));
}
