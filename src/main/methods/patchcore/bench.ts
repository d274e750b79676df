// PatchCore benchmark rows for docs/benchmarks.md: fit time and peak RSS, latency and
// throughput of the exported package, bank size, image/pixel AUROC per category. Run one
// configuration per fresh process for a meaningful peak RSS (maxRSS is per process).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetLayoutError, readMvtecCategory, type EvalDataset } from '../../eval/datasets';
import { loadMask } from '../../eval/image-io';
import { evenSubsample } from '../../eval/runner-eval';
import { imageAuroc, PixelMetricsAccumulator } from '../../eval/metrics';
import { preprocessBatch, type PreprocessSpec } from '../../models/preprocess';
import { loadModelPackage } from '../../models/runner';
import { GraphBuilder } from '../../onnx/builder';
import { serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor } from '../../runtime';
import { createRng } from '../../util/rng';
import { patchcoreBackbone, type PatchCoreBackboneId } from './backbone';
import { exportPatchCore } from './export';
import { fitPatchCore } from './fit';
import type { PatchCoreConfig, PresetName } from './types';

export interface PatchCoreBenchOptions {
  dataRoot: string;
  categories: string[];
  backbones?: PatchCoreBackboneId[];
  presets?: PresetName[];
  /** Extra named variants (e.g. measuring one option's AUROC cost). */
  variants?: Array<{
    name: string;
    preset?: PresetName;
    config: Partial<PatchCoreConfig>;
    preprocess?: Partial<PreprocessSpec>;
  }>;
  trainImages?: number;
  /** Evenly spread subsample of the test split (0 = all). */
  testImages?: number;
  latencyRuns?: number;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface PatchCoreBenchRow {
  category: string;
  backbone: string;
  variant: string;
  trainImages: number;
  testImages: number;
  bankSize: number;
  featureDim: number;
  fitSeconds: number;
  fitStages: Record<string, number>;
  peakRssMiB: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  throughputBatch8: number;
  imageAuroc: number;
  pixelAuroc: number;
  modelMiB: number;
}

const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export async function runPatchCoreBench(opts: PatchCoreBenchOptions): Promise<PatchCoreBenchRow[]> {
  const log = opts.log ?? (() => {});
  const rows: PatchCoreBenchRow[] = [];
  const variants: NonNullable<PatchCoreBenchOptions['variants']> = [
    ...(opts.presets ?? ['accurate', 'fast']).map((p) => ({ name: p, preset: p, config: {} })),
    ...(opts.variants ?? []),
  ];
  for (const bbId of opts.backbones ?? ['mobilenet_v2']) {
    for (const category of opts.categories) {
      let cat: EvalDataset;
      try {
        cat = await readMvtecCategory(join(opts.dataRoot, category));
      } catch (e) {
        if (!(e instanceof DatasetLayoutError)) throw e;
        log(`skip ${category}: ${e.message}`);
        continue;
      }
      const train = evenSubsample(cat.train, opts.trainImages ?? 200);
      const test = opts.testImages ? evenSubsample(cat.test, opts.testImages) : cat.test;
      for (const v of variants) {
        // The preset may change the input size, i.e. the converted backbone (cached per size).
        const backbone = await patchcoreBackbone(bbId, { cacheDir: opts.cacheDir, preset: v.preset });
        const t0 = performance.now();
        const fitted = await fitPatchCore({
          images: train,
          backbone,
          preset: v.preset,
          config: v.config,
          preprocess: v.preprocess,
        });
        const pre = fitted.backbone.preprocess;
        const fitSeconds = (performance.now() - t0) / 1000;
        const peakRssMiB = process.resourceUsage().maxRSS / 1024;
        const dir = mkdtempSync(join(tmpdir(), 'patchcore-bench-'));
        try {
          const exported = await exportPatchCore(fitted, dir);
          const runner = await loadModelPackage(dir);
          const s = pre.crop;
          const one = await preprocessBatch([test[0].path], pre);
          const eight = await preprocessBatch(
            evenSubsample(test, 8).map((t) => t.path),
            pre,
          );
          for (let i = 0; i < 3; i++) await runner.runTensor(one, 1);
          const lat: number[] = [];
          for (let i = 0; i < (opts.latencyRuns ?? 30); i++) {
            const t = performance.now();
            await runner.runTensor(one, 1);
            lat.push(performance.now() - t);
          }
          await runner.runTensor(eight, 8);
          const tb = performance.now();
          const reps = 3;
          for (let i = 0; i < reps; i++) await runner.runTensor(eight, 8);
          const throughputBatch8 = (8 * reps) / ((performance.now() - tb) / 1000);

          const scores: number[] = [];
          const pix = new PixelMetricsAccumulator();
          for (let i = 0; i < test.length; i += 8) {
            const batch = test.slice(i, i + 8);
            const out = await runner.scoreBatch(batch.map((t) => t.path));
            for (let b = 0; b < batch.length; b++) {
              scores.push(out[b].rawScore);
              const t = batch[b];
              const map = out[b].map;
              if (map) pix.add(map, t.maskPath ? await loadMask(t.maskPath, t.path, pre) : null, s, s);
            }
          }
          await runner.release();
          const row: PatchCoreBenchRow = {
            category,
            backbone: bbId,
            variant: v.name,
            trainImages: fitted.trainImageCount,
            testImages: test.length,
            bankSize: fitted.bank.length / fitted.dim,
            featureDim: fitted.dim,
            fitSeconds,
            fitStages: Object.fromEntries(Object.entries(fitted.timings).map(([k, x]) => [k, Math.round(x)])),
            peakRssMiB,
            latencyP50Ms: percentile(lat, 0.5),
            latencyP95Ms: percentile(lat, 0.95),
            throughputBatch8,
            imageAuroc: imageAuroc(
              scores,
              test.map((t) => t.label),
            ),
            pixelAuroc: cat.hasMasks ? pix.result().pixelAuroc : NaN,
            modelMiB: exported.bytes / 2 ** 20,
          };
          log(JSON.stringify(row));
          rows.push(row);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  return rows;
}

export function benchRowsToMarkdown(rows: PatchCoreBenchRow[]): string {
  const head =
    '| category | backbone | variant | bank | dim | fit 200 img (s) | peak RSS (MiB) | p50 / p95 ms (b=1) | img/s (b=8) | image AUROC | pixel AUROC |';
  const sep = '|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.category} | ${r.backbone} | ${r.variant} | ${r.bankSize} | ${r.featureDim} | ${r.fitSeconds.toFixed(1)} | ${Math.round(r.peakRssMiB)} | ${r.latencyP50Ms.toFixed(1)} / ${r.latencyP95Ms.toFixed(1)} | ${r.throughputBatch8.toFixed(1)} | ${(r.imageAuroc * 100).toFixed(1)} | ${(r.pixelAuroc * 100).toFixed(1)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

/** ONNX Runtime's own float32 MatMul rate on this machine: the ceiling GEMM-bound stages compare to. */
export async function gemmCeilingGflops(size = 1024, runs = 5, intraOpNumThreads?: number): Promise<number> {
  const g = new GraphBuilder('gemm_ceiling');
  const a = g.input('a', 'float32', [size, size]);
  const b = g.input('b', 'float32', [size, size]);
  g.output(g.matmul(a, b, 'y'));
  const { session } = await createSession(serializeModel(g.toModelProto()), {
    providerOrder: ['cpu'],
    intraOpNumThreads,
  });
  try {
    const rng = createRng(1);
    const fill = (): Float32Array => Float32Array.from({ length: size * size }, () => rng.normal());
    const feeds = { a: float32Tensor(fill(), [size, size]), b: float32Tensor(fill(), [size, size]) };
    await session.run(feeds);
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - t);
    }
    return (2 * size ** 3) / (best / 1000) / 1e9;
  } finally {
    await session.release();
  }
}

export interface PatchCoreLimitsFit {
  trainImages: number;
  fittedImages: number;
  patches: number;
  bankSize: number;
  fitSeconds: number;
  coresetSeconds: number;
  /** 2·patches·bank·dim / coreset seconds: the distance work the greedy does, as a GEMM rate. */
  coresetGflops: number;
  /** Process peak RSS after this fit (maxRSS is a process-wide high-water mark). */
  peakRssMiB: number;
}

export interface PatchCoreLimits {
  category: string;
  backbone: PatchCoreBackboneId;
  preset: PresetName;
  fits: PatchCoreLimitsFit[];
  /** Exported package of the smallest fit, batch 1, preprocessed tensor in memory. */
  latencyP50Ms: number;
  latencyP95Ms: number;
  gemmCeilingGflops: number;
  loadAverage: number[];
}

/**
 * The issue-20 figures: fit time and coreset time at growing training sets, batch-1 latency and
 * the GEMM ceiling, all in one process and one run (the machine's load moves every figure).
 */
export async function runPatchCoreLimits(opts: {
  dataRoot: string;
  category: string;
  trainImages: number[];
  backbone?: PatchCoreBackboneId;
  preset?: PresetName;
  latencyRuns?: number;
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<PatchCoreLimits> {
  const log = opts.log ?? (() => {});
  const bbId = opts.backbone ?? 'mobilenet_v2';
  const preset = opts.preset ?? 'fast';
  const cat = await readMvtecCategory(join(opts.dataRoot, opts.category));
  const backbone = await patchcoreBackbone(bbId, { cacheDir: opts.cacheDir, preset });
  const gemm = await gemmCeilingGflops();
  log(`GEMM ceiling ${gemm.toFixed(1)} GFLOP/s`);
  const fits: PatchCoreLimitsFit[] = [];
  let lat: number[] = [];
  for (const count of [...opts.trainImages].sort((a, b) => a - b)) {
    const train = evenSubsample(cat.train, count);
    const t0 = performance.now();
    const fitted = await fitPatchCore({ images: train, backbone, preset });
    const fitSeconds = (performance.now() - t0) / 1000;
    const bankSize = fitted.bank.length / fitted.dim;
    const coresetSeconds = (fitted.timings.coresetMs ?? NaN) / 1000;
    const projDim = Math.min(fitted.dim, fitted.config.coresetProjectionDim);
    const row: PatchCoreLimitsFit = {
      trainImages: train.length,
      fittedImages: fitted.trainImageCount,
      patches: fitted.patchCount,
      bankSize,
      fitSeconds,
      coresetSeconds,
      coresetGflops: (2 * fitted.patchCount * bankSize * projDim) / coresetSeconds / 1e9,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    log(JSON.stringify(row));
    fits.push(row);
    if (lat.length === 0) {
      const dir = mkdtempSync(join(tmpdir(), 'patchcore-limits-'));
      try {
        await exportPatchCore(fitted, dir);
        const runner = await loadModelPackage(dir);
        try {
          const one = await preprocessBatch([cat.test[0].path], fitted.backbone.preprocess);
          for (let i = 0; i < 3; i++) await runner.runTensor(one, 1);
          for (let i = 0; i < (opts.latencyRuns ?? 50); i++) {
            const t = performance.now();
            await runner.runTensor(one, 1);
            lat.push(performance.now() - t);
          }
        } finally {
          await runner.release();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  lat = lat.sort((a, b) => a - b);
  return {
    category: opts.category,
    backbone: bbId,
    preset,
    fits,
    latencyP50Ms: percentile(lat, 0.5),
    latencyP95Ms: percentile(lat, 0.95),
    gemmCeilingGflops: gemm,
    loadAverage: loadavg(),
  };
}
