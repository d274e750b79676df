// Owns one training-step session and the tensors it threads through: parameters, optimizer state
// and buffers live in Float32Arrays here; each step feeds them in and swaps in the updated ones.
import {
  createSession,
  float32Tensor,
  type ort,
  type ProviderName,
  type SessionHandle,
} from '../runtime';
import { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint';
import { initialValue } from './model';
import { Rng } from './rng';
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
   * Execution providers to try, first that works wins (runtime's order: cuda → dml → coreml →
   * webgpu → cpu). Default: the CPU only, so existing callers keep their numerics and speed.
   */
  providerOrder?: ProviderName[];
  /** Enables ORT's per-node profiling (see Trainer.endProfiling). */
  profileFilePrefix?: string;
}

export interface StepResult {
  loss: number;
  metrics: Record<string, number>;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class Trainer {
  /** Completed optimizer steps. */
  step = 0;
  readonly params = new Map<string, Float32Array>();
  readonly buffers = new Map<string, Float32Array>();
  /** Optimizer state keyed by its graph input name (param__slot). */
  readonly state = new Map<string, Float32Array>();
  private readonly shapes = new Map<string, number[]>();

  private constructor(
    readonly graph: TrainingStepGraph,
    private readonly handle: SessionHandle,
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
      providerOrder: opts.providerOrder ?? ['cpu'],
      intraOpNumThreads: opts.intraOpNumThreads,
      profileFilePrefix: opts.profileFilePrefix,
    });
    const t = new Trainer(graph, handle);
    const rng = new Rng(opts.seed ?? 0);
    // Initialise in declaration order, always drawing, so a given seed gives the same values
    // whether or not some tensors are overridden by `initial`.
    for (const p of graph.params) {
      const v = initialValue(p, rng);
      t.params.set(p.name, opts.initial?.get(p.name)?.slice() ?? v);
      t.shapes.set(p.name, p.shape);
    }
    for (const b of graph.buffers) {
      const v = initialValue(b, rng);
      t.buffers.set(b.name, opts.initial?.get(b.name)?.slice() ?? v);
      t.shapes.set(b.name, b.shape);
    }
    for (const p of graph.params) {
      if (!graph.trainable.includes(p.name)) continue;
      for (const s of graph.slots) {
        t.state.set(stateName(p.name, s), new Float32Array(sizeOf(p.shape)));
        t.shapes.set(stateName(p.name, s), p.shape);
      }
    }
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
    for (const m of [this.params, this.buffers, this.state])
      for (const [name, v] of m) feeds[name] = float32Tensor(v, this.shapes.get(name)!);
    feeds[LR_INPUT] = float32Tensor([lr], []);
    feeds[STEP_INPUT] = float32Tensor([this.step + 1], []);
    const out = await this.handle.session.run(feeds);
    const take = (name: string): Float32Array => {
      const t = out[name];
      if (!t || t.type !== 'float32') throw new Error(`training step did not return '${name}'`);
      return t.data as Float32Array;
    };
    for (const m of [this.params, this.buffers, this.state])
      for (const name of m.keys()) m.set(name, take(nextName(name)));
    this.step++;
    const metrics: Record<string, number> = {};
    for (const k of this.graph.metricNames) metrics[k] = take(metricName(k))[0];
    return { loss: take(LOSS_OUTPUT)[0], metrics };
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
