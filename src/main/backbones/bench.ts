// Backbone throughput on the CPU provider: ms per image at a few batch sizes, conv GFLOP per
// image counted from the graph, and the achieved GFLOP/s. `npm run bench` wires this in.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../onnx/builder';
import { countFlops } from '../onnx/flops';
import { parseModel } from '../onnx/serialize';
import { createSession, float32Tensor, type ProviderName } from '../runtime';
import { BUNDLED_BACKBONES, ensureBackbone } from './registry';

export interface BenchRow {
  id: string;
  inputSize: [number, number];
  taps: string[];
  provider: ProviderName;
  batch: number;
  msPerImage: number;
  /** Conv/MatMul FLOPs (2·MACs) of one image through the cut graph. */
  gflopPerImage: number;
  gflopPerSecond: number;
  runs: number;
}

export interface BenchOptions {
  cacheDir?: string;
  ids?: string[];
  batches?: number[];
  /** Timed runs per configuration (after one warm-up run). */
  runs?: number;
  intraOpNumThreads?: number;
  providerOrder?: ProviderName[];
}

export async function benchBackbones(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const cacheDir = opts.cacheDir ?? join(os.tmpdir(), 'inspection-station-cache');
  const ids = opts.ids ?? Object.keys(BUNDLED_BACKBONES);
  const batches = opts.batches ?? [1, 8];
  const runs = opts.runs ?? 5;
  const rows: BenchRow[] = [];
  for (const id of ids) {
    const { path, descriptor } = await ensureBackbone(id, cacheDir);
    const bytes = new Uint8Array(readFileSync(path));
    const { flops } = countFlops(GraphBuilder.fromModel(parseModel(bytes)));
    const { session, provider } = await createSession(bytes, {
      providerOrder: opts.providerOrder ?? ['cpu'],
      intraOpNumThreads: opts.intraOpNumThreads,
    });
    try {
      const [h, w] = descriptor.inputSize;
      for (const batch of batches) {
        const x = new Float32Array(batch * 3 * h * w);
        for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.001); // non-constant input, values in [-1,1]
        const feeds = { [descriptor.inputName]: float32Tensor(x, [batch, 3, h, w]) };
        await session.run(feeds); // warm-up: first run allocates and picks kernels
        const times: number[] = [];
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          await session.run(feeds);
          times.push(performance.now() - t0);
        }
        // Median is robust to the other jobs sharing this machine.
        times.sort((a, b) => a - b);
        const ms = times[Math.floor(times.length / 2)] / batch;
        rows.push({
          id,
          inputSize: descriptor.inputSize,
          taps: descriptor.taps.map((t) => t.name),
          provider,
          batch,
          msPerImage: ms,
          gflopPerImage: flops / 1e9,
          gflopPerSecond: flops / 1e9 / (ms / 1000),
          runs,
        });
      }
    } finally {
      await session.release();
    }
  }
  return rows;
}

/** Markdown table of bench rows (for docs/benchmarks.md). */
export function benchTable(rows: BenchRow[]): string {
  const head =
    '| backbone | input | taps | provider | batch | ms/image | GFLOP/image | GFLOP/s |\n|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.id} | ${r.inputSize.join('×')} | ${r.taps.join(' + ')} | ${r.provider} | ${r.batch} | ${r.msPerImage.toFixed(1)} | ${r.gflopPerImage.toFixed(3)} | ${r.gflopPerSecond.toFixed(1)} |`,
  );
  return [head, ...body].join('\n');
}
