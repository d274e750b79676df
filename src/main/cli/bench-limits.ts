// `station bench patchcore --json`: the PatchCore limits of issue 20 in one run — fit and coreset
// time at 200 and 1 000 training images, batch-1 latency, the live loop end to end, and ONNX
// Runtime's own GEMM rate on this machine as the ceiling the GEMM-bound stages are compared to.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { runPatchCoreLimits, type PatchCoreLimits } from '../methods/patchcore/bench';
import { benchDemoLine } from '../station/bench';

export interface BenchLimits extends PatchCoreLimits {
  /** Live loop on the demo line, replayed as fast as inspected (MobileNetV2, fast preset). */
  live: {
    frames: number;
    fps: number;
    p50Ms: number;
    p95Ms: number;
    /** Mean ms per frame in ONNX Runtime (the model's own time). */
    modelMs: number;
    /** p50 end to end / the model's own time. */
    ratio: number;
    stageMs: Record<string, number>;
  };
  /**
   * The same line paced at half the rate it sustains, as a conveyor below the station's capacity
   * feeds it: latency without the queue that "as fast as inspected" builds by design.
   */
  livePaced: {
    requestedFps: number;
    fps: number;
    p50Ms: number;
    p95Ms: number;
    modelMs: number;
    ratio: number;
  };
  loadAverageBefore: number[];
}

/** Largest category of the shared evaluation data (deeppcb holds 1 000 good training images). */
const CATEGORY = 'deeppcb';

export async function runLimits(opts: {
  dataRoot: string;
  dataDir: string;
  cacheDir: string;
  log?: (line: string) => void;
}): Promise<BenchLimits> {
  if (!existsSync(resolve(opts.dataRoot, CATEGORY)))
    throw new Error(`no evaluation data at ${resolve(opts.dataRoot, CATEGORY)} (set STATION_EVAL_DATA)`);
  const loadAverageBefore = loadavg();
  const limits = await runPatchCoreLimits({
    dataRoot: opts.dataRoot,
    category: CATEGORY,
    trainImages: [200, 1000],
    cacheDir: opts.cacheDir,
    log: opts.log,
  });
  opts.log?.('live loop…');
  const r = await benchDemoLine({ dataDir: opts.dataDir, frames: 300, backbone: 'mobilenet_v2' });
  const requestedFps = Math.max(1, Math.floor(r.fps / 2));
  opts.log?.(`live loop paced at ${requestedFps} fps…`);
  const paced = await benchDemoLine({
    dataDir: opts.dataDir,
    frames: Math.min(300, Math.max(60, requestedFps * 15)),
    backbone: 'mobilenet_v2',
    fps: requestedFps,
  });
  return {
    ...limits,
    live: {
      frames: r.frames,
      fps: r.fps,
      p50Ms: r.latencyMs.p50,
      p95Ms: r.latencyMs.p95,
      modelMs: r.stageMs.inference,
      ratio: r.latencyMs.p50 / r.stageMs.inference,
      stageMs: r.stageMs,
    },
    livePaced: {
      requestedFps,
      fps: paced.fps,
      p50Ms: paced.latencyMs.p50,
      p95Ms: paced.latencyMs.p95,
      modelMs: paced.stageMs.inference,
      ratio: paced.latencyMs.p50 / paced.stageMs.inference,
    },
    loadAverage: loadavg(),
    loadAverageBefore,
  };
}

export function limitsToMarkdown(l: BenchLimits, machine: string): string {
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const lines = [
    `Machine: ${machine}; load average before ${l.loadAverageBefore.map((x) => f(x, 2)).join(' ')}, after ${l.loadAverage.map((x) => f(x, 2)).join(' ')}`,
    '',
    `| ${l.category} ${l.backbone} ${l.preset} | patches | bank | fit (s) | coreset (s) | coreset GFLOP/s | ORT GEMM ceiling GFLOP/s | peak RSS (MiB) |`,
    '|---|---|---|---|---|---|---|---|',
    ...l.fits.map(
      (x) =>
        `| ${x.trainImages} images (${x.fittedImages} fitted) | ${x.patches} | ${x.bankSize} | ${f(x.fitSeconds)} | ${f(x.coresetSeconds)} | ${f(x.coresetGflops)} | ${f(l.gemmCeilingGflops)} | ${Math.round(x.peakRssMiB)} |`,
    ),
    '',
    '| latency b=1 p50 / p95 (ms) | live p50 / p95 (ms) | model in the loop (ms) | live p50 / model | live fps |',
    '|---|---|---|---|---|',
    `| ${f(l.latencyP50Ms)} / ${f(l.latencyP95Ms)} | ${f(l.live.p50Ms)} / ${f(l.live.p95Ms)} | ${f(l.live.modelMs)} | ${f(l.live.ratio, 2)} | ${f(l.live.fps)} |`,
    '',
    '| live paced at (fps) | fps reached | live p50 / p95 (ms) | model in the loop (ms) | live p50 / model |',
    '|---|---|---|---|---|',
    `| ${l.livePaced.requestedFps} | ${f(l.livePaced.fps)} | ${f(l.livePaced.p50Ms)} / ${f(l.livePaced.p95Ms)} | ${f(l.livePaced.modelMs)} | ${f(l.livePaced.ratio, 2)} |`,
  ];
  return lines.join('\n');
}
