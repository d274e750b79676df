// Owns one training-step session and the tensors it threads through: parameters, optimizer state
// and buffers live in Float32Arrays here; each step feeds them in and swaps in the updated ones.
import {
  DEFAULT_PROVIDER_ORDER,
  createSession,
  float32Tensor,
  type ort,
  type ProviderName,
  type SessionHandle,
} from '../runtime';
import { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint';
import { dropoutMask, initialValue } from './model';
import { createRng } from '../util/rng';
import {
  LOSS_OUTPUT,
  LR_INPUT,
  STEP_INPUT,
  metricName,
  nextName,
  stateName,
  type TrainingStepGraph,
} from './train-step';

export interface TrainerOptions {
  /** Seed of the parameter initialisation. */
  seed?: number;
  /** Start from these values (e.g. pretrained) instead of the init; missing names are initialised. */
  initial?: ReadonlyMap<string, Float32Array>;
  intraOpNumThreads?: number;
  /**
   * Execution providers to try; the first that works wins and each skipped one keeps its reason
   * (Trainer.provider / skippedProviders). Default: inference's order, cuda → dml → coreml →
   * webgpu → cpu, so a station with a GPU trains on it.
   */
  providerOrder?: ProviderName[];
  /** Enables ORT's per-node profiling (see Trainer.endProfiling). */
  profileFilePrefix?: string;
  /**
   * Share parameters and buffers with another trainer (same names, same shapes): several step
   * graphs over one model, e.g. a GAN's discriminator and generator steps. Each trainer keeps its
   * own optimizer state and step counter.
   */
  share?: Trainer;
}

export interface StepResult {
  loss: number;
  metrics: Record<string, number>;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class Trainer {
  /** Completed optimizer steps. */
  step = 0;
  /** Optimizer state keyed by its graph input name (param__slot). */
  readonly state = new Map<string, Float32Array>();

  private constructor(
    readonly graph: TrainingStepGraph,
    private readonly handle: SessionHandle,
    readonly params: Map<string, Float32Array>,
    readonly buffers: Map<string, Float32Array>,
    private readonly shapes: Map<string, number[]>,
    private readonly seed: number,
  ) {}

  /** Provider that runs the step, and those tried before it with the reason each was skipped. */
  get provider(): ProviderName {
    return this.handle.provider;
  }
  get skippedProviders(): SessionHandle['skipped'] {
    return this.handle.skipped;
  }

  static async create(graph: TrainingStepGraph, opts: TrainerOptions = {}): Promise<Trainer> {
    const handle = await createSession(graph.bytes, {
      providerOrder: opts.providerOrder ?? DEFAULT_PROVIDER_ORDER,
      intraOpNumThreads: opts.intraOpNumThreads,
      profileFilePrefix: opts.profileFilePrefix,
    });
    const sh = opts.share;
    const t = new Trainer(
      graph,
      handle,
      sh ? sh.params : new Map(),
      sh ? sh.buffers : new Map(),
      sh ? sh.shapes : new Map(),
      opts.seed ?? 0,
    );
    const rng = createRng(opts.seed ?? 0);
    // Initialise in declaration order, always drawing, so a given seed gives the same values
    // whether or not some tensors are overridden by `initial`. Shared tensors keep their values.
    const adopt = (
      spec: { name: string; shape: number[] },
      m: Map<string, Float32Array>,
      v: Float32Array,
    ) => {
      const known = t.shapes.get(spec.name);
      if (known && m.has(spec.name)) {
        if (known.join(',') !== spec.shape.join(','))
          throw new Error(
            `shared tensor '${spec.name}' is [${known.join(',')}] here, [${spec.shape.join(',')}] in this graph`,
          );
        return;
      }
      m.set(spec.name, opts.initial?.get(spec.name)?.slice() ?? v);
      t.shapes.set(spec.name, spec.shape);
    };
    for (const p of graph.params) adopt(p, t.params, initialValue(p, rng));
    for (const b of graph.buffers) adopt(b, t.buffers, initialValue(b, rng));
    for (const p of graph.params) {
      if (!graph.trainable.includes(p.name)) continue;
      for (const s of graph.slots) {
        t.state.set(stateName(p.name, s), new Float32Array(sizeOf(p.shape)));
        t.shapes.set(stateName(p.name, s), p.shape);
      }
    }
    for (const m of graph.masks) t.shapes.set(m.name, m.shape);
    for (const [name, v] of [...t.params, ...t.buffers]) {
      if (v.length !== sizeOf(t.shapes.get(name)!))
        throw new Error(
          `initial value of '${name}' has ${v.length} values, expected ${sizeOf(t.shapes.get(name)!)}`,
        );
    }
    return t;
  }

  /** One forward/backward/update with the given batch tensors (by input name) and learning rate. */
  async trainStep(batch: Record<string, Float32Array>, lr: number): Promise<StepResult> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const bi of this.graph.batchInputs) {
      const data = batch[bi.name];
      if (!data) throw new Error(`batch input '${bi.name}' is missing`);
      feeds[bi.name] = float32Tensor(data, bi.shape);
    }
    const inGraph = this.graphTensors();
    for (const m of [this.params, this.buffers, this.state])
      for (const [name, v] of m)
        if (inGraph.has(name)) feeds[name] = float32Tensor(v, this.shapes.get(name)!);
    if (this.graph.masks.length) {
      // A pure function of (seed, step): a resumed run draws the masks an uninterrupted one would.
      const rng = createRng((Math.imul(this.seed + 1, 0x9e3779b1) ^ (this.step + 1)) >>> 0);
      for (const m of this.graph.masks) feeds[m.name] = float32Tensor(dropoutMask(m, rng), m.shape);
    }
    feeds[LR_INPUT] = float32Tensor([lr], []);
    feeds[STEP_INPUT] = float32Tensor([this.step + 1], []);
    const out = await this.handle.session.run(feeds);
    const take = (name: string): Float32Array => {
      const t = out[name];
      if (!t || t.type !== 'float32') throw new Error(`training step did not return '${name}'`);
      return t.data as Float32Array;
    };
    for (const m of [this.params, this.buffers, this.state])
      for (const name of m.keys()) if (inGraph.has(name)) m.set(name, take(nextName(name)));
    this.step++;
    const metrics: Record<string, number> = {};
    for (const k of this.graph.metricNames) metrics[k] = take(metricName(k))[0];
    return { loss: take(LOSS_OUTPUT)[0], metrics };
  }

  private tensorsOfGraph: Set<string> | null = null;
  /** Parameters, buffers and state this trainer's graph reads (shared maps may hold more). */
  private graphTensors(): Set<string> {
    this.tensorsOfGraph ??= new Set([
      ...this.graph.params.map((p) => p.name),
      ...this.graph.buffers.map((b) => b.name),
      ...this.state.keys(),
    ]);
    return this.tensorsOfGraph;
  }

  /** Parameters and buffers (what an exported model needs). */
  weights(): Map<string, Float32Array> {
    return new Map([...this.params, ...this.buffers]);
  }

  /** Writes parameters, buffers, optimizer state and the step counter (atomically). */
  saveCheckpoint(path: string, meta: Record<string, unknown> = {}): void {
    const tensors = new Map<string, Float32Array>();
    for (const [k, v] of this.params) tensors.set(`param:${k}`, v);
    for (const [k, v] of this.buffers) tensors.set(`buffer:${k}`, v);
    for (const [k, v] of this.state) tensors.set(`state:${k}`, v);
    writeCheckpoint(path, { meta: { ...meta, step: this.step }, tensors });
  }

  /** Restores a checkpoint written by saveCheckpoint; returns its meta. Every tensor must match. */
  loadCheckpoint(path: string): Record<string, unknown> {
    const ck = readCheckpoint(path);
    const apply = (prefix: string, m: Map<string, Float32Array>) => {
      for (const [k, v] of m) {
        const t = ck.tensors.get(`${prefix}:${k}`);
        if (!t) throw new CheckpointError(`${path} has no ${prefix} '${k}'`);
        if (t.length !== v.length)
          throw new CheckpointError(`${path}: ${prefix} '${k}' has ${t.length} values, expected ${v.length}`);
      }
    };
    apply('param', this.params);
    apply('buffer', this.buffers);
    apply('state', this.state);
    for (const [prefix, m] of [
      ['param', this.params],
      ['buffer', this.buffers],
      ['state', this.state],
    ] as const)
      for (const k of m.keys()) m.set(k, ck.tensors.get(`${prefix}:${k}`)!);
    this.step = Number(ck.meta.step ?? 0);
    return ck.meta;
  }

  /** Stops ORT profiling (when enabled); ORT writes `<profileFilePrefix>_<date>.json`. */
  endProfiling(): void {
    this.handle.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.handle.session.release();
  }
}
