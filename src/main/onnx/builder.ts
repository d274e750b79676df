// A typed ONNX graph builder. Every node is checked as it is added (inputs exist, names unique,
// shapes consistent where known) so a wrong graph fails here, naming the node, instead of inside
// ONNX Runtime with a message about an anonymous kernel.
import { SHAPE_RULES, ShapeError } from './shapes';
import type { GraphProto, ModelProto, NodeProto, TypeProto, ValueInfoProto } from './schema';
import {
  attributeFromProto,
  attributeToProto,
  dataTypeCode,
  dataTypeFromCode,
  dataTypeOfArray,
  float32Tensor,
  int64Tensor,
  isTensorData,
  tensor,
  tensorFromProto,
  tensorToProto,
  toAttribute,
} from './tensor';
import type {
  Attribute,
  AttributeInput,
  DataType,
  Dim,
  GraphIO,
  NodeDef,
  Shape,
  TensorArray,
  TensorData,
  ValueInfo,
} from './types';
import { GraphError } from './types';

export interface GraphBuilderOptions {
  /** Default-domain opset version (17 unless told). */
  opset?: number;
  /** Extra domains, e.g. { 'com.microsoft': 1 }. */
  domains?: Record<string, number>;
  producerName?: string;
  docString?: string;
}

export interface NodeOptions {
  /** How many outputs (auto-named) or their explicit names. */
  outputs?: number | string[];
  name?: string;
  domain?: string;
  /** Output infos for ops without a shape rule (custom domains). */
  outputInfo?: ValueInfo[];
}

export interface ToModelOptions {
  /** Write inferred shapes of intermediate values as value_info (off: ORT infers its own). */
  includeValueInfo?: boolean;
  metadata?: Record<string, string>;
}

type Pads = number[];

export interface ConvOptions {
  strides?: number[];
  pads?: Pads;
  dilations?: number[];
  group?: number;
  name?: string;
}

export interface PoolOptions {
  kernel: number[];
  strides?: number[];
  pads?: Pads;
  ceilMode?: boolean;
  /** AveragePool only: 0 (default) divides by the number of non-pad elements, like TF/Keras. */
  countIncludePad?: boolean;
  name?: string;
}

/** ONNX IR version to stamp for a default-domain opset (ORT rejects IR versions it does not know). */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function shapeToProto(info: ValueInfo): TypeProto {
  const t: NonNullable<TypeProto['tensorType']> = { elemType: dataTypeCode(info.dataType) };
  if (info.shape) {
    t.shape = { dim: info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  }
  return { tensorType: t };
}

function valueInfoFromProto(v: ValueInfoProto): ValueInfo | undefined {
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  const dataType = dataTypeFromCode(tt.elemType ?? 0);
  if (!tt.shape) return { dataType };
  // Dims with neither value nor param are anonymous; give them a name so they stay symbolic.
  const shape: Shape = (tt.shape.dim ?? []).map((d, i) =>
    d.dimParam
      ? d.dimParam
      : d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0
        ? Number(d.dimValue)
        : `${v.name}_d${i}`,
  );
  return { dataType, shape };
}

const shapeStr = (s: Shape | undefined) => (s ? `[${s.join(',')}]` : '[?]');

export class GraphBuilder {
  readonly name: string;
  readonly opset: number;
  readonly domains: Record<string, number>;
  readonly nodes: NodeDef[] = [];
  readonly inputs: GraphIO[] = [];
  readonly outputs: GraphIO[] = [];
  readonly initializers = new Map<string, TensorData>();
  /** Type and (possibly partial) shape of every value: inputs, initializers, node outputs. */
  readonly values = new Map<string, ValueInfo>();
  producerName: string;
  docString: string | undefined;

  private readonly constants = new Map<string, TensorData>();
  private readonly producers = new Map<string, NodeDef>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;
  /** When true (imports of foreign models), a shape-rule failure leaves the shape unknown instead of throwing. */
  private lenientShapes = false;
  /** Shape-rule failures swallowed in lenient mode, for diagnostics. */
  readonly shapeWarnings: string[] = [];

  constructor(name: string, opts: GraphBuilderOptions = {}) {
    this.name = name;
    this.opset = opts.opset ?? 17;
    this.domains = { ...(opts.domains ?? {}) };
    this.producerName = opts.producerName ?? 'inspection-station';
    this.docString = opts.docString;
  }

  // ---------- naming ----------

  /** A value or node name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    let n = base;
    while (this.values.has(n) || this.nodeNames.has(n)) n = `${base}_${++this.counter}`;
    return n;
  }

  private claimValue(name: string, what: string): void {
    if (!name) throw new GraphError(`${this.name}: ${what} needs a non-empty name`);
    if (this.values.has(name))
      throw new GraphError(`${this.name}: value name '${name}' is already defined (${what})`);
  }

  // ---------- graph inputs, constants, outputs ----------

  input(name: string, dataType: DataType, dims: Dim[]): string {
    this.claimValue(name, 'graph input');
    const info: ValueInfo = { dataType, shape: [...dims] };
    this.inputs.push({ name, info });
    this.values.set(name, info);
    return name;
  }

  /** Adds a named initializer. `data` may be a typed array (dims required) or a TensorData. */
  initializer(
    name: string,
    data: TensorArray | TensorData,
    dims?: readonly number[],
    dataType?: DataType,
  ): string {
    this.claimValue(name, 'initializer');
    const t = isTensorData(data)
      ? data
      : tensor(data, dims ?? [data.length], dataType ?? dataTypeOfArray(data));
    this.initializers.set(name, t);
    this.constants.set(name, t);
    this.values.set(name, { dataType: t.dataType, shape: [...t.dims] });
    return name;
  }

  /** A constant as an initializer with a generated name; numbers become float32 unless told. */
  constant(
    value: TensorData | number | number[],
    opts: { name?: string; dataType?: DataType; dims?: number[] } = {},
  ): string {
    const name = this.uniqueName(opts.name ?? 'const');
    if (isTensorData(value)) return this.initializer(name, value);
    const arr = typeof value === 'number' ? [value] : value;
    const dims = opts.dims ?? (typeof value === 'number' ? [] : [arr.length]);
    const dt = opts.dataType ?? 'float32';
    if (dt === 'int64') return this.initializer(name, int64Tensor(arr, dims));
    if (dt === 'float32') return this.initializer(name, float32Tensor(arr, dims));
    if (dt === 'int32') return this.initializer(name, Int32Array.from(arr), dims);
    throw new GraphError(`${this.name}: constant() supports float32, int64, int32; got ${dt}`);
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  int64s(values: number[], name?: string): string {
    return this.constant(values, { dataType: 'int64', name: name ?? 'ints' });
  }

  /** Marks a value as a graph output. dtype/dims, when given, are checked against inference. */
  output(name: string, dataType?: DataType, dims?: Dim[]): string {
    const info = this.values.get(name);
    if (!info) throw new GraphError(`${this.name}: output '${name}' is not a value of this graph`);
    if (this.outputs.some((o) => o.name === name))
      throw new GraphError(`${this.name}: '${name}' is already an output`);
    if (dataType && dataType !== info.dataType) {
      throw new GraphError(`${this.name}: output '${name}' declared ${dataType} but is ${info.dataType}`);
    }
    let shape = info.shape;
    if (dims) {
      if (shape) {
        if (shape.length !== dims.length) {
          throw new GraphError(
            `${this.name}: output '${name}' declared ${shapeStr(dims)} but inferred ${shapeStr(shape)}`,
          );
        }
        shape.forEach((d, i) => {
          const e = dims[i];
          if (typeof d === 'number' && typeof e === 'number' && d !== e) {
            throw new GraphError(
              `${this.name}: output '${name}' declared ${shapeStr(dims)} but inferred ${shapeStr(shape)}`,
            );
          }
        });
      }
      shape = [...dims];
    }
    this.outputs.push({ name, info: { dataType: info.dataType, shape } });
    return name;
  }

  // ---------- nodes ----------

  /** Adds a node; returns its output names. */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttributeInput | undefined> = {},
    opts: NodeOptions = {},
  ): string[] {
    const name = opts.name ?? this.uniqueName(`${opType}_${this.nodes.length}`);
    if (this.nodeNames.has(name)) throw new GraphError(`${this.name}: node name '${name}' is already used`);
    for (const [i, inp] of inputs.entries()) {
      if (inp !== '' && !this.values.has(inp)) {
        throw new GraphError(
          `${this.name}: node '${name}' (${opType}) input ${i} '${inp}' is not defined yet`,
        );
      }
    }
    const nOut = typeof opts.outputs === 'number' ? opts.outputs : (opts.outputs?.length ?? 1);
    const outputs = Array.isArray(opts.outputs)
      ? [...opts.outputs]
      : nOut === 1
        ? [this.uniqueName(name)]
        : [...Array(nOut).keys()].map((i) => this.uniqueName(`${name}_${i}`));
    for (const o of outputs) if (o !== '') this.claimValue(o, `output of node '${name}'`);
    const attributes: Record<string, Attribute> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attributes[k] = toAttribute(k, v);
    const node: NodeDef = {
      name,
      opType,
      domain: opts.domain ?? '',
      inputs: [...inputs],
      outputs,
      attrs: attributes,
    };
    this.addNode(node, opts.outputInfo);
    return outputs;
  }

  /** Single-output shorthand of `node`. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttributeInput | undefined> = {},
    opts: NodeOptions = {},
  ): string {
    return this.node(opType, inputs, attrs, { ...opts, outputs: opts.outputs ?? 1 })[0];
  }

  /** Validated insertion of a fully formed node (also used when importing models). */
  addNode(node: NodeDef, outputInfo?: (ValueInfo | undefined)[], hints?: Map<string, ValueInfo>): void {
    let infos: (ValueInfo | undefined)[] = outputInfo ?? [];
    if (!outputInfo) {
      const rule = node.domain === '' || node.domain === 'ai.onnx' ? SHAPE_RULES[node.opType] : undefined;
      if (rule) {
        try {
          infos = rule({
            node,
            opset: this.opset,
            inputs: node.inputs.map((i) => (i === '' ? undefined : this.values.get(i))),
            constant: (i) => this.constValue(node.inputs[i] ?? ''),
          });
        } catch (e) {
          if (e instanceof ShapeError && this.lenientShapes) {
            this.shapeWarnings.push(`node '${node.name}' (${node.opType}): ${e.message}`);
            infos = [];
          } else if (e instanceof ShapeError) {
            const ins = node.inputs
              .map((i) => `${i || '∅'}${shapeStr(this.values.get(i)?.shape)}`)
              .join(', ');
            throw new GraphError(
              `${this.name}: node '${node.name}' (${node.opType}): ${e.message} [inputs: ${ins}]`,
            );
          } else {
            throw e;
          }
        }
      }
    }
    this.nodes.push(node);
    this.nodeNames.add(node.name);
    const firstType = node.inputs[0] ? this.values.get(node.inputs[0])?.dataType : undefined;
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      const info = infos[i] ?? hints?.get(o) ?? { dataType: firstType ?? 'float32' };
      this.values.set(o, info);
      this.producers.set(o, node);
    });
    if (node.opType === 'Constant' && node.outputs[0]) {
      const v = node.attrs.value;
      if (v?.type === 'tensor') this.constants.set(node.outputs[0], v.value);
      const vi = node.attrs.value_ints;
      if (vi?.type === 'ints') this.constants.set(node.outputs[0], int64Tensor(vi.value));
      const vf = node.attrs.value_floats;
      if (vf?.type === 'floats') this.constants.set(node.outputs[0], float32Tensor(vf.value));
      const v1 = node.attrs.value_int;
      if (v1?.type === 'int') this.constants.set(node.outputs[0], int64Tensor([v1.value], []));
      const f1 = node.attrs.value_float;
      if (f1?.type === 'float') this.constants.set(node.outputs[0], float32Tensor([f1.value], []));
    }
  }

  // ---------- queries (for passes such as pruning and autodiff) ----------

  info(name: string): ValueInfo | undefined {
    return this.values.get(name);
  }

  shapeOf(name: string): Shape | undefined {
    return this.values.get(name)?.shape;
  }

  /** Shape with every dim numeric, or a clear error. */
  staticShape(name: string): number[] {
    const s = this.shapeOf(name);
    if (!s || !s.every((d) => typeof d === 'number')) {
      throw new GraphError(`${this.name}: shape of '${name}' is not static (${shapeStr(s)})`);
    }
    return s as number[];
  }

  typeOf(name: string): DataType | undefined {
    return this.values.get(name)?.dataType;
  }

  constValue(name: string): TensorData | undefined {
    return this.constants.get(name);
  }

  producerOf(name: string): NodeDef | undefined {
    return this.producers.get(name);
  }

  /** Nodes in dependency order. Nodes are appended only after their inputs exist, so insertion order is one. */
  topologicalOrder(): NodeDef[] {
    return [...this.nodes];
  }

  /** Nodes that read each value. */
  consumers(): Map<string, NodeDef[]> {
    const m = new Map<string, NodeDef[]>();
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (!i) continue;
        const list = m.get(i) ?? [];
        list.push(n);
        m.set(i, list);
      }
    }
    return m;
  }

  /**
   * Keeps only what `outputNames` depend on: nodes, initializers and inputs. Replaces the graph
   * outputs by those names (shapes from inference). Used to cut backbones at their taps.
   */
  pruneTo(outputNames: string[]): void {
    for (const o of outputNames) {
      if (!this.values.has(o)) throw new GraphError(`${this.name}: '${o}' is not a value of this graph`);
    }
    const needed = new Set<string>(outputNames);
    const keep = new Set<NodeDef>();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.outputs.some((o) => needed.has(o))) {
        keep.add(n);
        for (const inp of n.inputs) if (inp) needed.add(inp);
        // Subgraph bodies may read outer values implicitly; keep everything they name.
        for (const a of Object.values(n.attrs)) if (a.type === 'graph') collectOuterNames(a.value, needed);
      }
    }
    const kept = this.nodes.filter((n) => keep.has(n));
    this.nodes.length = 0;
    this.nodes.push(...kept);
    for (const [name, node] of [...this.producers]) {
      if (!keep.has(node)) {
        this.producers.delete(name);
        this.values.delete(name);
        this.constants.delete(name);
        this.nodeNames.delete(node.name);
      }
    }
    for (const name of [...this.initializers.keys()]) {
      if (!needed.has(name)) {
        this.initializers.delete(name);
        this.constants.delete(name);
        this.values.delete(name);
      }
    }
    const keptInputs = this.inputs.filter((i) => needed.has(i.name));
    this.inputs.length = 0;
    this.inputs.push(...keptInputs);
    this.outputs.length = 0;
    for (const o of outputNames) this.output(o);
  }

  // ---------- helpers for common ops ----------

  add(a: string, b: string, name?: string): string {
    return this.op('Add', [a, b], {}, { name });
  }
  sub(a: string, b: string, name?: string): string {
    return this.op('Sub', [a, b], {}, { name });
  }
  mul(a: string, b: string, name?: string): string {
    return this.op('Mul', [a, b], {}, { name });
  }
  div(a: string, b: string, name?: string): string {
    return this.op('Div', [a, b], {}, { name });
  }
  matmul(a: string, b: string, name?: string): string {
    return this.op('MatMul', [a, b], {}, { name });
  }
  relu(x: string, name?: string): string {
    return this.op('Relu', [x], {}, { name });
  }
  sqrt(x: string, name?: string): string {
    return this.op('Sqrt', [x], {}, { name });
  }
  identity(x: string, name?: string): string {
    return this.op('Identity', [x], {}, { name });
  }
  /** Clip with scalar float bounds (opset ≥ 11 takes them as inputs). */
  clip(x: string, min?: number, max?: number, name?: string): string {
    if (this.opset < 11) return this.op('Clip', [x], { min, max }, { name });
    const lo = min === undefined ? '' : this.constant(min, { name: 'clip_min' });
    const hi = max === undefined ? '' : this.constant(max, { name: 'clip_max' });
    const ins = hi ? [x, lo, hi] : lo ? [x, lo] : [x];
    return this.op('Clip', ins, {}, { name });
  }
  conv(x: string, w: string, b: string | undefined, o: ConvOptions = {}): string {
    const k = this.shapeOf(w)?.slice(2);
    return this.op(
      'Conv',
      b ? [x, w, b] : [x, w],
      {
        kernel_shape: k && k.every((d) => typeof d === 'number') ? (k as number[]) : undefined,
        strides: o.strides,
        pads: o.pads,
        dilations: o.dilations,
        group: o.group,
      },
      { name: o.name },
    );
  }
  maxPool(x: string, o: PoolOptions): string {
    return this.op(
      'MaxPool',
      [x],
      { kernel_shape: o.kernel, strides: o.strides, pads: o.pads, ceil_mode: o.ceilMode ? 1 : undefined },
      { name: o.name },
    );
  }
  averagePool(x: string, o: PoolOptions): string {
    return this.op(
      'AveragePool',
      [x],
      {
        kernel_shape: o.kernel,
        strides: o.strides,
        pads: o.pads,
        ceil_mode: o.ceilMode ? 1 : undefined,
        count_include_pad: o.countIncludePad ? 1 : 0,
      },
      { name: o.name },
    );
  }
  reshape(x: string, shape: number[], name?: string): string {
    return this.op('Reshape', [x, this.int64s(shape, 'shape')], {}, { name });
  }
  transpose(x: string, perm: number[], name?: string): string {
    return this.op('Transpose', [x], { perm }, { name });
  }
  concat(xs: string[], axis: number, name?: string): string {
    return this.op('Concat', xs, { axis }, { name });
  }
  /** Pads (ONNX order: all begins then all ends) with a constant. */
  pad(x: string, pads: number[], value = 0, name?: string): string {
    const v = this.constant(value, {
      name: 'pad_value',
      dataType: this.typeOf(x) === 'int64' ? 'int64' : 'float32',
    });
    return this.op('Pad', [x, this.int64s(pads, 'pads'), v], { mode: 'constant' }, { name });
  }
  slice(
    x: string,
    starts: number[],
    ends: number[],
    axes?: number[],
    steps?: number[],
    name?: string,
  ): string {
    const ins = [x, this.int64s(starts, 'starts'), this.int64s(ends, 'ends')];
    if (axes || steps) ins.push(this.int64s(axes ?? starts.map((_, i) => i), 'axes'));
    if (steps) ins.push(this.int64s(steps, 'steps'));
    return this.op('Slice', ins, {}, { name });
  }
  /** Reduce over axes; handles the attribute→input move of `axes` (ReduceSum at 13, others at 18). */
  reduce(op: string, x: string, axes: number[], keepdims = true, name?: string): string {
    const asInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (asInput) return this.op(op, [x, this.int64s(axes, 'axes')], { keepdims: keepdims ? 1 : 0 }, { name });
    return this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 }, { name });
  }
  argMin(x: string, axis: number, keepdims = true, name?: string): string {
    return this.op('ArgMin', [x], { axis, keepdims: keepdims ? 1 : 0 }, { name });
  }
  topK(x: string, k: number, axis = -1, largest = true, name?: string): [values: string, indices: string] {
    const [v, i] = this.node(
      'TopK',
      [x, this.int64s([k], 'k')],
      { axis, largest: largest ? 1 : 0, sorted: 1 },
      { outputs: 2, name },
    );
    return [v, i];
  }
  /** Resize to explicit sizes (full N,C,H,W list). */
  resize(
    x: string,
    sizes: number[],
    mode: 'nearest' | 'linear' | 'cubic' = 'linear',
    o: { alignCorners?: boolean; name?: string } = {},
  ): string {
    return this.op(
      'Resize',
      [x, '', '', this.int64s(sizes, 'sizes')],
      { mode, coordinate_transformation_mode: o.alignCorners ? 'align_corners' : 'half_pixel' },
      { name: o.name },
    );
  }
  unsqueeze(x: string, axes: number[], name?: string): string {
    if (this.opset >= 13) return this.op('Unsqueeze', [x, this.int64s(axes, 'axes')], {}, { name });
    return this.op('Unsqueeze', [x], { axes }, { name });
  }
  squeeze(x: string, axes: number[], name?: string): string {
    if (this.opset >= 13) return this.op('Squeeze', [x, this.int64s(axes, 'axes')], {}, { name });
    return this.op('Squeeze', [x], { axes }, { name });
  }

  // ---------- serialisation ----------

  toModelProto(opts: ToModelOptions = {}): ModelProto {
    const usedDomains = new Set(this.nodes.map((n) => n.domain).filter((d) => d !== '' && d !== 'ai.onnx'));
    const opsetImport = [{ domain: '', version: this.opset }];
    for (const d of usedDomains) {
      const v = this.domains[d];
      if (v === undefined)
        throw new GraphError(`${this.name}: domain '${d}' is used but has no version in options.domains`);
      opsetImport.push({ domain: d, version: v });
    }
    for (const [d, v] of Object.entries(this.domains))
      if (!usedDomains.has(d)) opsetImport.push({ domain: d, version: v });
    const outputSet = new Set(this.outputs.map((o) => o.name));
    const graph: GraphProto = {
      name: this.name,
      node: this.nodes.map((n) => nodeToProto(n)),
      initializer: [...this.initializers].map(([name, t]) => tensorToProto(name, t)),
      input: this.inputs.map((i) => ({ name: i.name, type: shapeToProto(i.info) })),
      output: this.outputs.map((o) => ({ name: o.name, type: shapeToProto(o.info) })),
    };
    if (this.docString) graph.docString = this.docString;
    if (opts.includeValueInfo) {
      graph.valueInfo = [];
      for (const n of this.nodes) {
        for (const o of n.outputs) {
          const info = this.values.get(o);
          if (o && info?.shape && !outputSet.has(o))
            graph.valueInfo.push({ name: o, type: shapeToProto(info) });
        }
      }
    }
    const model: ModelProto = {
      irVersion: irVersionFor(this.opset),
      opsetImport,
      producerName: this.producerName,
      graph,
    };
    if (opts.metadata)
      model.metadataProps = Object.entries(opts.metadata).map(([key, value]) => ({ key, value }));
    return model;
  }

  /**
   * Loads a parsed model into a builder (nodes validated and shapes inferred as if built here).
   * Shape hints from the model's value_info fill in ops we have no rule for.
   */
  static fromModel(model: ModelProto, opts: { name?: string; strictShapes?: boolean } = {}): GraphBuilder {
    const graph = model.graph;
    if (!graph) throw new GraphError('model has no graph');
    const opsets = model.opsetImport ?? [];
    const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
    const domains: Record<string, number> = {};
    for (const o of opsets)
      if (o.domain && o.domain !== 'ai.onnx') domains[o.domain] = Number(o.version ?? 1);
    const g = new GraphBuilder(opts.name ?? graph.name ?? 'graph', {
      opset: Number(main?.version ?? 17),
      domains,
      producerName: model.producerName || undefined,
      docString: graph.docString || undefined,
    });
    g.lenientShapes = opts.strictShapes === false;
    if ((model.functions?.length ?? 0) > 0) {
      throw new GraphError(
        'models with local functions are not supported; export without them (e.g. torch.onnx.export(dynamo=False))',
      );
    }
    for (const t of graph.initializer ?? []) g.initializer(t.name ?? '', tensorFromProto(t));
    for (const v of graph.input ?? []) {
      if (!v.name || g.initializers.has(v.name)) continue; // old exporters list initializers as inputs too
      const info = valueInfoFromProto(v);
      if (!info) throw new GraphError(`graph input '${v.name}' is not a tensor`);
      g.input(v.name, info.dataType, info.shape ?? []);
    }
    const hints = new Map<string, ValueInfo>();
    for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      const info = v.name ? valueInfoFromProto(v) : undefined;
      if (info && v.name) hints.set(v.name, info);
    }
    const nodes = sortNodes(graph.node ?? [], new Set(g.values.keys()));
    nodes.forEach((p, i) => {
      const node: NodeDef = {
        name: p.name || g.uniqueName(`${p.opType}_${i}`),
        opType: p.opType ?? '',
        domain: p.domain ?? '',
        inputs: [...(p.input ?? [])],
        outputs: [...(p.output ?? [])],
        attrs: Object.fromEntries((p.attribute ?? []).map((a) => [a.name ?? '', attributeFromProto(a)])),
      };
      if (g.nodeNames.has(node.name)) node.name = g.uniqueName(node.name);
      for (const [j, inp] of node.inputs.entries()) {
        if (inp !== '' && !g.values.has(inp)) {
          throw new GraphError(
            `${g.name}: node '${node.name}' (${node.opType}) input ${j} '${inp}' is not defined`,
          );
        }
      }
      for (const o of node.outputs) if (o !== '') g.claimValue(o, `output of node '${node.name}'`);
      g.addNode(node, undefined, hints);
    });
    for (const o of graph.output ?? []) {
      if (!o.name) continue;
      const hint = hints.get(o.name);
      const inferred = g.values.get(o.name);
      // Keep the model's declared symbolic dims when our inference could not name them better.
      if (hint && inferred && (!inferred.shape || inferred.shape.some((d) => typeof d === 'string')))
        g.values.set(o.name, hint);
      g.output(o.name);
    }
    return g;
  }
}

function collectOuterNames(graph: unknown, into: Set<string>): void {
  const gp = graph as GraphProto | undefined;
  for (const n of gp?.node ?? []) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const a of n.attribute ?? []) if (a.g) collectOuterNames(a.g, into);
  }
}

function nodeToProto(n: NodeDef): NodeProto {
  const p: NodeProto = {
    name: n.name,
    opType: n.opType,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, a]) => attributeToProto(k, a)),
  };
  if (n.domain) p.domain = n.domain;
  return p;
}

/** ONNX requires topological order but some exporters get it wrong; Kahn's sort fixes that. */
function sortNodes(nodes: NodeProto[], available: Set<string>): NodeProto[] {
  const have = new Set(available);
  const ready = (n: NodeProto) => (n.input ?? []).every((i) => i === '' || have.has(i));
  if (
    nodes.every((n) => {
      const ok = ready(n);
      for (const o of n.output ?? []) have.add(o);
      return ok;
    })
  )
    return nodes;
  const out: NodeProto[] = [];
  const pending = [...nodes];
  const avail = new Set(available);
  let progressed = true;
  while (pending.length && progressed) {
    progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const n = pending[i];
      if ((n.input ?? []).every((x) => x === '' || avail.has(x))) {
        out.push(n);
        for (const o of n.output ?? []) avail.add(o);
        pending.splice(i--, 1);
        progressed = true;
      }
    }
  }
  // Leftovers reference undefined values; let fromModel report the first one by name.
  return [...out, ...pending];
}
