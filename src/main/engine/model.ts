// Forward-graph construction with trainable parameters. The same model definition is built twice:
// for training (parameters and buffers are graph inputs fed from typed arrays each step, BN uses
// batch statistics) and for export (parameters become initializers holding the trained values,
// BN uses its running statistics).
import type { GraphBuilder } from '../onnx/builder';
import { GraphError } from '../onnx/types';
import type { Rng } from '../util/rng';

export type InitSpec =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** U(−bound, bound) */
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'values'; values: Float32Array };

export interface TensorSpec {
  name: string;
  shape: number[];
  init: InitSpec;
}

export interface BufferSpec extends TensorSpec {
  /** Value computed by the training graph that replaces the buffer after each step. */
  update?: string;
}

export interface ModelBuilderOptions {
  /** Training mode: batch statistics in BN, buffers updated. */
  training: boolean;
  /** Export mode: parameter/buffer values baked in as initializers. Absent: they are graph inputs. */
  values?: ReadonlyMap<string, Float32Array>;
  /** Use these existing graph values for the named parameters/buffers (tests, weight tying). */
  bind?: ReadonlyMap<string, string>;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A dropout mask input: the Trainer draws it each step from its seeded RNG (0 or 1/(1−p)). */
export interface MaskSpec {
  name: string;
  shape: number[];
  p: number;
}

export class ModelBuilder {
  readonly params: TensorSpec[] = [];
  readonly buffers: BufferSpec[] = [];
  readonly masks: MaskSpec[] = [];

  constructor(
    readonly g: GraphBuilder,
    readonly opts: ModelBuilderOptions,
  ) {}

  get training(): boolean {
    return this.opts.training;
  }

  private tensor(name: string, shape: number[], what: string): string {
    const bound = this.opts.bind?.get(name);
    if (bound) return bound;
    const v = this.opts.values;
    if (!v) return this.g.input(name, 'float32', shape);
    const data = v.get(name);
    if (!data) throw new GraphError(`${this.g.name}: no value for ${what} '${name}'`);
    if (data.length !== size(shape))
      throw new GraphError(
        `${this.g.name}: ${what} '${name}' has ${data.length} values, shape [${shape.join(',')}] needs ${size(shape)}`,
      );
    return this.g.initializer(name, data, shape);
  }

  private readonly declared = new Map<string, { value: string; shape: number[] }>();

  /** Declared once; a second declaration (the same layer applied twice) reuses the same value. */
  private reuse(name: string, shape: number[]): string | undefined {
    const d = this.declared.get(name);
    if (!d) return undefined;
    if (d.shape.join(',') !== shape.join(','))
      throw new GraphError(
        `${this.g.name}: '${name}' declared as [${d.shape.join(',')}] and as [${shape.join(',')}]`,
      );
    return d.value;
  }

  /** A trainable parameter. */
  param(name: string, shape: number[], init: InitSpec): string {
    const again = this.reuse(name, shape);
    if (again) return again;
    this.params.push({ name, shape: [...shape], init });
    const value = this.tensor(name, shape, 'parameter');
    this.declared.set(name, { value, shape: [...shape] });
    return value;
  }

  /** A non-trained state tensor (e.g. BN running statistics). */
  buffer(name: string, shape: number[], init: InitSpec): string {
    const again = this.reuse(name, shape);
    if (again) return again;
    this.buffers.push({ name, shape: [...shape], init });
    const value = this.tensor(name, shape, 'buffer');
    this.declared.set(name, { value, shape: [...shape] });
    return value;
  }

  /** In training mode: a graph input holding a fresh dropout mask each step. */
  mask(name: string, shape: number[], p: number): string {
    if (!(p >= 0 && p < 1)) throw new GraphError(`${this.g.name}: dropout p must be in [0, 1), is ${p}`);
    this.masks.push({ name, shape: [...shape], p });
    return this.g.input(name, 'float32', shape);
  }

  /** In training mode: the value that replaces buffer `name` after the step. */
  updateBuffer(name: string, value: string): void {
    const b = this.buffers.find((x) => x.name === name);
    if (!b) throw new GraphError(`${this.g.name}: '${name}' is not a buffer`);
    b.update = value;
  }
}

/** Initial values of a parameter or buffer; draws from `rng` in a fixed order (deterministic). */
export function initialValue(spec: TensorSpec, rng: Rng): Float32Array {
  const n = size(spec.shape);
  const out = new Float32Array(n);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(init.value);
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = rng.uniform(-init.bound, init.bound);
      break;
    case 'normal':
      for (let i = 0; i < n; i++) out[i] = rng.normal() * init.std;
      break;
    case 'values':
      if (init.values.length !== n) throw new Error(`initial values of '${spec.name}' have the wrong length`);
      out.set(init.values);
      break;
  }
  return out;
}

/** A dropout mask: each element 0 with probability p, else 1/(1−p) (so E[mask] = 1). */
export function dropoutMask(spec: MaskSpec, rng: Rng): Float32Array {
  const out = new Float32Array(size(spec.shape));
  const keep = 1 / (1 - spec.p);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < spec.p ? 0 : keep;
  return out;
}
