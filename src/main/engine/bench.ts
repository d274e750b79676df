// Engine speed figures for docs/benchmarks.md and `npm run bench -- engine`: a training step
// against the inference-mode forward of the same net, measured back to back in one process (so a
// shared machine's load affects both alike), the provider that ran, the peak RSS, and optionally
// ORT's per-op time shares of the step.
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../onnx/builder';
import { serializeModel } from '../onnx/serialize';
import { createSession, float32Tensor, type ProviderName } from '../runtime';
import { batchNorm, conv2d, linear } from './layers';
import { bceWithLogitsLoss } from './losses';
import { ModelBuilder, initialValue } from './model';
import { createRng } from '../util/rng';
import { buildTrainingStep } from './train-step';
import { Trainer } from './trainer';

type Net = (mb: ModelBuilder, x: string, batch: number) => string;

function convBn(
  mb: ModelBuilder,
  x: string,
  name: string,
  cin: number,
  cout: number,
  kernel: number,
  stride = 1,
  group = 1,
): string {
  const pad = (kernel - 1) >> 1;
  const c = conv2d(mb, x, {
    name,
    inChannels: cin,
    outChannels: cout,
    kernel,
    stride,
    pad,
    group,
    bias: false,
  });
  return batchNorm(mb, c, { name: `${name}.bn`, channels: cout });
}

/** ResNet18 layout (BasicBlocks 2-2-2-2, widths 64…512) + 1-logit head, on [B, 3, S, S]. */
export const resnet18: Net = (mb, x, b) => {
  const g = mb.g;
  let h = g.relu(convBn(mb, x, 'stem', 3, 64, 7, 2));
  h = g.maxPool(h, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let c = 64;
  for (const [i, w] of [64, 128, 256, 512].entries()) {
    for (let k = 0; k < 2; k++) {
      const stride = k === 0 && i > 0 ? 2 : 1;
      const n = `l${i}.${k}`;
      const y = convBn(mb, g.relu(convBn(mb, h, `${n}.c1`, c, w, 3, stride)), `${n}.c2`, w, w, 3);
      const skip = stride !== 1 || c !== w ? convBn(mb, h, `${n}.down`, c, w, 1, stride) : h;
      h = g.relu(g.add(y, skip));
      c = w;
    }
  }
  const pooled = g.reshape(g.op('GlobalAveragePool', [h]), [b, 512]);
  return linear(mb, pooled, { name: 'fc', inFeatures: 512, outFeatures: 1 });
};

const relu6 = (mb: ModelBuilder, x: string) => mb.g.clip(x, 0, 6);

/** MobileNetV2 (width 1.0, inverted residuals with depthwise 3×3) + 1-logit head: a student net. */
export const mobilenetV2: Net = (mb, x, b) => {
  const g = mb.g;
  let h = relu6(mb, convBn(mb, x, 'stem', 3, 32, 3, 2));
  let c = 32;
  const settings: [number, number, number, number][] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let blk = 0;
  for (const [t, out, n, s] of settings) {
    for (let k = 0; k < n; k++) {
      const stride = k === 0 ? s : 1;
      const name = `b${blk++}`;
      const hidden = c * t;
      let y = t === 1 ? h : relu6(mb, convBn(mb, h, `${name}.expand`, c, hidden, 1));
      y = relu6(mb, convBn(mb, y, `${name}.dw`, hidden, hidden, 3, stride, hidden));
      y = convBn(mb, y, `${name}.project`, hidden, out, 1);
      h = stride === 1 && c === out ? g.add(h, y) : y;
      c = out;
    }
  }
  h = relu6(mb, convBn(mb, h, 'head', c, 1280, 1));
  const pooled = g.reshape(g.op('GlobalAveragePool', [h]), [b, 1280]);
  return linear(mb, pooled, { name: 'fc', inFeatures: 1280, outFeatures: 1 });
};

export const BENCH_NETS = { resnet18, mobilenet_v2: mobilenetV2 } as const;
export type BenchNetName = keyof typeof BENCH_NETS;

export interface NetTiming {
  net: BenchNetName;
  forwardMs: number;
  stepMs: number;
  ratio: number;
  provider: ProviderName;
  skipped: { name: ProviderName; reason: string }[];
  /** Process RSS high-water mark (MiB) after the steps (includes everything measured before). */
  peakRssMiB: number;
  /** ORT kernel time per op type as a share of the step's total kernel time (when profiled). */
  opShares?: Record<string, number>;
}

async function timeIt(f: () => Promise<unknown>, reps: number): Promise<number> {
  await f(); // warm-up: allocations, first-run kernel selection
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

/** Sums ORT's trace (`*_kernel_time` node events) by op type; shares of the total, descending. */
export function opSharesFromProfile(path: string): Record<string, number> {
  const events = JSON.parse(readFileSync(path, 'utf8')) as {
    cat?: string;
    name?: string;
    dur?: number;
    args?: { op_name?: string };
  }[];
  const byOp = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + (e.dur ?? 0));
    total += e.dur ?? 0;
  }
  const sorted = [...byOp].sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(sorted.map(([k, v]) => [k, Math.round((1000 * v) / total) / 1000]));
}

export interface BenchNetOptions {
  batch?: number;
  size?: number;
  reps?: number;
  providerOrder?: ProviderName[];
  profile?: boolean;
  /** ORT intra-op threads for both sessions (default: ORT's choice). */
  threads?: number;
}

/** Step and forward of one net, back to back in this process. */
export async function benchNet(net: BenchNetName, o: BenchNetOptions = {}): Promise<NetTiming> {
  const [B, S, reps] = [o.batch ?? 8, o.size ?? 256, o.reps ?? 2];
  const define = (mb: ModelBuilder) => BENCH_NETS[net](mb, mb.g.input('x', 'float32', [B, 3, S, S]), B);
  const step = buildTrainingStep({
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
    define: (mb) => ({ loss: bceWithLogitsLoss(mb.g, define(mb), mb.g.input('y', 'float32', [B, 1])) }),
  });
  const x = new Float32Array(B * 3 * S * S).map((_, i) => ((i * 2654435761) % 1000) / 500 - 1);
  const y = Float32Array.from({ length: B }, (_, i) => i % 2);

  // Inference-mode forward with the same parameters baked in (what an exported model runs).
  const rng = createRng(0);
  const values = new Map<string, Float32Array>();
  for (const p of [...step.params, ...step.buffers]) values.set(p.name, initialValue(p, rng));
  const fg = new GraphBuilder('fwd');
  const fmb = new ModelBuilder(fg, { training: false, values });
  fg.output(define(fmb));
  const fwd = await createSession(serializeModel(fg.toModelProto()), {
    providerOrder: o.providerOrder ?? ['cpu'],
    intraOpNumThreads: o.threads,
  });
  const forwardMs = await timeIt(() => fwd.session.run({ x: float32Tensor(x, [B, 3, S, S]) }), reps);
  await fwd.session.release();

  const profDir = o.profile ? mkdtempSync(join(tmpdir(), 'engine-prof-')) : undefined;
  const tr = await Trainer.create(step, {
    providerOrder: o.providerOrder ?? ['cpu'],
    intraOpNumThreads: o.threads,
    profileFilePrefix: profDir ? join(profDir, 'step') : undefined,
  });
  const stepMs = await timeIt(() => tr.trainStep({ x, y }, 0.01), reps);
  let opShares: Record<string, number> | undefined;
  if (profDir) {
    tr.endProfiling();
    const file = readdirSync(profDir).find((f) => f.endsWith('.json'));
    if (file) opShares = opSharesFromProfile(join(profDir, file));
    if (process.env.ENGINE_KEEP_PROFILE) console.error(`profile kept in ${profDir}`);
    else rmSync(profDir, { recursive: true, force: true });
  }
  const result: NetTiming = {
    net,
    forwardMs,
    stepMs,
    ratio: stepMs / forwardMs,
    provider: tr.provider,
    skipped: tr.skippedProviders,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    opShares,
  };
  await tr.release();
  return result;
}

export interface EngineBench {
  resnet18_forward_ms: number;
  resnet18_step_ms: number;
  resnet18_ratio: number;
  mobilenet_v2_student_forward_ms: number;
  mobilenet_v2_student_step_ms: number;
  mobilenet_v2_student_ratio: number;
  provider: ProviderName;
  skipped_providers: { name: ProviderName; reason: string }[];
  peak_rss_mib: number;
  batch: number;
  size: number;
  threads: number | null;
  load_average: number[];
  op_shares?: Record<string, Record<string, number>>;
}

export async function benchEngine(o: BenchNetOptions = {}): Promise<EngineBench> {
  const load = loadavg().map((v) => Math.round(v * 100) / 100);
  const r = await benchNet('resnet18', o);
  const m = await benchNet('mobilenet_v2', o);
  return {
    resnet18_forward_ms: Math.round(r.forwardMs),
    resnet18_step_ms: Math.round(r.stepMs),
    resnet18_ratio: Math.round(r.ratio * 100) / 100,
    mobilenet_v2_student_forward_ms: Math.round(m.forwardMs),
    mobilenet_v2_student_step_ms: Math.round(m.stepMs),
    mobilenet_v2_student_ratio: Math.round(m.ratio * 100) / 100,
    provider: r.provider,
    skipped_providers: r.skipped,
    peak_rss_mib: Math.max(r.peakRssMiB, m.peakRssMiB),
    batch: o.batch ?? 8,
    size: o.size ?? 256,
    threads: o.threads ?? null,
    load_average: load,
    op_shares: o.profile ? { resnet18: r.opShares ?? {}, mobilenet_v2: m.opShares ?? {} } : undefined,
  };
}

if (require.main === module) {
  // npx tsx src/main/engine/bench.ts <resnet18|mobilenet_v2> [batch] [size] [--profile]
  void (async () => {
    const args = process.argv.slice(2);
    const net = (args[0] ?? 'resnet18') as BenchNetName;
    const nums = args
      .slice(1)
      .filter((a) => /^\d+$/.test(a))
      .map(Number);
    const threads = args.find((a) => a.startsWith('--threads='))?.slice(10);
    const r = await benchNet(net, {
      batch: nums[0],
      size: nums[1],
      profile: args.includes('--profile'),
      threads: threads ? Number(threads) : undefined,
    });
    console.log(JSON.stringify({ load: loadavg(), ...r }, null, 2));
  })();
}
