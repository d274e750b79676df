// Several training-step graphs over ONE set of parameters, stepped in turn: a GAN's discriminator
// step (generator frozen, its output behind stopGradient) then its generator step (discriminator
// frozen, gradients flowing through it). Each graph has its own optimizer, optimizer state, step
// counter and learning rate (hence schedule); parameters and buffers are shared.
import { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint';
import type { TrainingStepGraph } from './train-step';
import { Trainer, type StepResult, type TrainerOptions } from './trainer';

export class AlternatingTrainer {
  private constructor(readonly trainers: ReadonlyMap<string, Trainer>) {}

  /** Graphs in creation order; the first one initialises the shared parameters (seeded). */
  static async create(
    graphs: Record<string, TrainingStepGraph>,
    opts: Omit<TrainerOptions, 'share'> = {},
  ): Promise<AlternatingTrainer> {
    const names = Object.keys(graphs);
    if (names.length === 0) throw new Error('AlternatingTrainer needs at least one step graph');
    const trainers = new Map<string, Trainer>();
    let first: Trainer | undefined;
    try {
      for (const name of names) {
        const t = await Trainer.create(graphs[name], { ...opts, share: first });
        first ??= t;
        trainers.set(name, t);
      }
    } catch (e) {
      for (const t of trainers.values()) await t.release();
      throw e;
    }
    return new AlternatingTrainer(trainers);
  }

  private get(name: string): Trainer {
    const t = this.trainers.get(name);
    if (!t) throw new Error(`no step graph '${name}' (have: ${[...this.trainers.keys()].join(', ')})`);
    return t;
  }

  /** One optimizer step of graph `name`; the others see its updated parameters at once. */
  step(name: string, batch: Record<string, Float32Array>, lr: number): Promise<StepResult> {
    return this.get(name).trainStep(batch, lr);
  }

  /** Completed steps per graph. */
  steps(): Record<string, number> {
    return Object.fromEntries([...this.trainers].map(([k, t]) => [k, t.step]));
  }

  get params(): Map<string, Float32Array> {
    return this.trainers.values().next().value!.params;
  }

  weights(): Map<string, Float32Array> {
    return this.trainers.values().next().value!.weights();
  }

  /** Shared parameters and buffers once, every graph's optimizer state and step counter. */
  saveCheckpoint(path: string, meta: Record<string, unknown> = {}): void {
    const first = this.trainers.values().next().value!;
    const tensors = new Map<string, Float32Array>();
    for (const [k, v] of first.params) tensors.set(`param:${k}`, v);
    for (const [k, v] of first.buffers) tensors.set(`buffer:${k}`, v);
    for (const [name, t] of this.trainers) for (const [k, v] of t.state) tensors.set(`state:${name}:${k}`, v);
    writeCheckpoint(path, { meta: { ...meta, steps: this.steps() }, tensors });
  }

  /** Restores a checkpoint of saveCheckpoint; every tensor must be present with its size. */
  loadCheckpoint(path: string): Record<string, unknown> {
    const ck = readCheckpoint(path);
    const first = this.trainers.values().next().value!;
    const plan: [Map<string, Float32Array>, string, string][] = [];
    for (const k of first.params.keys()) plan.push([first.params, k, `param:${k}`]);
    for (const k of first.buffers.keys()) plan.push([first.buffers, k, `buffer:${k}`]);
    for (const [name, t] of this.trainers)
      for (const k of t.state.keys()) plan.push([t.state, k, `state:${name}:${k}`]);
    for (const [m, k, key] of plan) {
      const v = ck.tensors.get(key);
      if (!v) throw new CheckpointError(`${path} has no ${key}`);
      if (v.length !== m.get(k)!.length)
        throw new CheckpointError(`${path}: ${key} has ${v.length} values, expected ${m.get(k)!.length}`);
    }
    for (const [m, k, key] of plan) m.set(k, ck.tensors.get(key)!);
    const steps = (ck.meta.steps ?? {}) as Record<string, number>;
    for (const [name, t] of this.trainers) t.step = Number(steps[name] ?? 0);
    return ck.meta;
  }

  async release(): Promise<void> {
    for (const t of this.trainers.values()) await t.release();
  }
}
