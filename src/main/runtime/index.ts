// The one place that creates ONNX Runtime sessions and decides which execution provider runs
// them. Everything else asks here, so provider fallback and its reasons are reported uniformly.
import * as ort from 'onnxruntime-node';
import type { ExecutionProviderInfo } from '@shared/api';
import { GraphBuilder } from '../onnx/builder';
import { serializeModel } from '../onnx/serialize';

export type ProviderName = ExecutionProviderInfo['name'];
export const DEFAULT_PROVIDER_ORDER: ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/**
 * The order a training step tries providers in: inference's (Settings → Inference runtime), so a
 * station that infers on its GPU trains there too, with the CPU appended when the order leaves
 * it out, so a fit falls back rather than fails when no GPU provider works.
 */
export function trainingProviderOrder(inferenceOrder: readonly ProviderName[]): ProviderName[] {
  const order = inferenceOrder.filter((n, i) => inferenceOrder.indexOf(n) === i);
  return order.includes('cpu') ? order : [...order, 'cpu'];
}

export interface CreateSessionOptions {
  providerOrder?: ProviderName[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** Write ORT's optimised model here (debugging). */
  optimizedModelFilePath?: string;
  /** ORT per-node profiling; the JSON is written when session.endProfiling() is called. */
  profileFilePrefix?: string;
}

export interface SessionHandle {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Providers tried before `provider`, and why each was skipped. */
  skipped: Array<{ name: ProviderName; reason: string }>;
}

// Names in onnxruntime-node's listSupportedBackends() differ from ours only for DirectML.
const BACKEND_NAME: Record<ProviderName, string> = {
  cuda: 'cuda',
  dml: 'dml',
  coreml: 'coreml',
  webgpu: 'webgpu',
  cpu: 'cpu',
};

// Probing a provider whose libraries are missing makes ORT log an error line per probe; the probe
// result already carries that reason, so keep ORT quiet unless someone asks for its logs.
const LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
const requestedLevel = process.env.ORT_LOG_LEVEL as (typeof LOG_LEVELS)[number] | undefined;
ort.env.logLevel = requestedLevel && LOG_LEVELS.includes(requestedLevel) ? requestedLevel : 'fatal';

export function onnxRuntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
}

let probeModel: Uint8Array | null = null;
/** A one-node model (Y = X + X) used to prove a provider can really create and run a session. */
function tinyModel(): Uint8Array {
  if (!probeModel) {
    const g = new GraphBuilder('probe');
    const x = g.input('x', 'float32', [1, 4]);
    g.output(g.add(x, x, 'y'));
    probeModel = serializeModel(g.toModelProto());
  }
  return probeModel;
}

function shortError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // ORT messages start with a source path and a long stack-ish prefix; the tail says why.
  const line = msg.split('\n')[0].replace(/^\/onnxruntime_src\/\S+\s+/, '');
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

const probeCache = new Map<ProviderName, Promise<ExecutionProviderInfo>>();

/**
 * Which providers this build and machine can use. Listing alone is not proof (CUDA is "supported"
 * but its libraries may be missing; WebGPU is bundled but may find no adapter), so each listed
 * provider gets a real one-node session. Results are cached for the process lifetime.
 */
export async function listExecutionProviders(
  opts: { refresh?: boolean } = {},
): Promise<ExecutionProviderInfo[]> {
  if (opts.refresh) probeCache.clear();
  const out: ExecutionProviderInfo[] = [];
  // Sequential: probing providers concurrently would fight over the same device and threads.
  for (const name of DEFAULT_PROVIDER_ORDER) out.push(await probeProvider(name));
  return out;
}

/** Probes one provider (cached), so createSession with a short order never touches the others. */
export function probeProvider(name: ProviderName): Promise<ExecutionProviderInfo> {
  let p = probeCache.get(name);
  if (!p) {
    p = probe(name);
    probeCache.set(name, p);
  }
  return p;
}

async function probe(name: ProviderName): Promise<ExecutionProviderInfo> {
  const backend = ort.listSupportedBackends().find((b) => b.name === BACKEND_NAME[name]);
  if (!backend) {
    return {
      name,
      available: false,
      reason: `not built into onnxruntime-node ${onnxRuntimeVersion()} for ${process.platform}-${process.arch}`,
    };
  }
  const t0 = performance.now();
  try {
    const s = await ort.InferenceSession.create(
      tinyModel(),
      sessionOptions(name, { graphOptimizationLevel: 'disabled' }),
    );
    try {
      const x = new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]);
      const y = (await s.run({ x })).y.data as Float32Array;
      if (y[3] !== 8) throw new Error(`probe computed ${y[3]} instead of 8`);
    } finally {
      await s.release();
    }
    const ms = Math.round(performance.now() - t0);
    return {
      name,
      available: true,
      reason: `probe session ran (${ms} ms)${backend.bundled ? '' : ', provider library found'}`,
    };
  } catch (e) {
    const why = shortError(e);
    const hint =
      !backend.bundled && /load/i.test(why)
        ? ' (provider library not installed: needs the GPU build and drivers)'
        : '';
    return { name, available: false, reason: `probe failed: ${why}${hint}` };
  }
}

function sessionOptions(
  provider: ProviderName,
  o: CreateSessionOptions,
): ort.InferenceSession.SessionOptions {
  const so: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider === 'cpu' ? 'cpu' : BACKEND_NAME[provider]],
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    logSeverityLevel: 3,
  };
  if (o.intraOpNumThreads) so.intraOpNumThreads = o.intraOpNumThreads;
  if (o.interOpNumThreads) so.interOpNumThreads = o.interOpNumThreads;
  if (o.optimizedModelFilePath) so.optimizedModelFilePath = o.optimizedModelFilePath;
  if (o.profileFilePrefix) {
    so.enableProfiling = true;
    so.profileFilePrefix = o.profileFilePrefix;
  }
  return so;
}

/**
 * Creates a session on the first provider in `providerOrder` that works here. A provider that the
 * probe found unusable is skipped without trying; one that is usable but fails on this model
 * (unsupported op, out of memory) falls through to the next with the reason recorded.
 */
export async function createSession(
  model: Uint8Array | string,
  opts: CreateSessionOptions = {},
): Promise<SessionHandle> {
  const order = opts.providerOrder ?? DEFAULT_PROVIDER_ORDER;
  if (order.length === 0) throw new Error('providerOrder is empty');
  const skipped: SessionHandle['skipped'] = [];
  let lastError: unknown = null;
  for (const name of order) {
    if (!DEFAULT_PROVIDER_ORDER.includes(name)) {
      skipped.push({ name, reason: 'unknown provider' });
      continue;
    }
    const p = await probeProvider(name);
    if (!p.available) {
      skipped.push({ name, reason: p.reason });
      continue;
    }
    try {
      const so = sessionOptions(name, opts);
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, so)
          : await ort.InferenceSession.create(model, so);
      return { session, provider: name, skipped };
    } catch (e) {
      lastError = e;
      skipped.push({ name, reason: `session creation failed: ${shortError(e)}` });
    }
  }
  const detail = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`no execution provider could run this model (${detail})`, { cause: lastError });
}

// ---------- tensor helpers ----------

export type OrtTensor = ort.Tensor;
export { ort };

export function float32Tensor(data: Float32Array | number[], dims: readonly number[]): ort.Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== arr.length)
    throw new Error(`tensor dims [${dims.join(',')}] need ${n} values, got ${arr.length}`);
  return new ort.Tensor('float32', arr, dims);
}

export function int64Tensor(data: BigInt64Array | number[], dims: readonly number[]): ort.Tensor {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  return new ort.Tensor('int64', arr, dims);
}

/** Float32 data of an output tensor (throws on other types, so a wrong graph is caught early). */
export function toFloat32(t: ort.Tensor | undefined, what = 'tensor'): Float32Array {
  if (!t) throw new Error(`${what} is missing from the session outputs`);
  if (t.type !== 'float32') throw new Error(`${what} is ${t.type}, expected float32`);
  return t.data as Float32Array;
}

/** Runs a session and returns the named outputs (all outputs when none named). */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  outputNames?: readonly string[],
): Promise<Record<string, ort.Tensor>> {
  const r = outputNames ? await session.run(feeds, [...outputNames]) : await session.run(feeds);
  return r as Record<string, ort.Tensor>;
}
