// Minimal ONNX graph assembly on the decoded ModelProto (src/main/onnx/schema.ts).
// Why not the shared GraphBuilder: it was being written in parallel with this method, and PatchCore
// only appends a fixed head to an existing backbone graph (tens of MB of initializers), which is a
// few pushes on the decoded protobuf object without re-inferring shapes of the whole backbone.
// Serialisation goes through src/main/onnx/serialize.
import {
  TENSOR_DATA_TYPE,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../onnx/schema';

export type AttrValue =
  number | number[] | string | { floats: number[] } | { int: number } | { float: number };

function toAttr(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {float} for non-integers`);
    return { name, type: 2, i: v };
  }
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('int' in v) return { name, type: 2, i: v.int };
  return { name, type: 1, f: v.float };
}

function bytesOf(a: Float32Array | BigInt64Array | Int32Array): Uint8Array {
  // Copy: rawData must own exactly its bytes (views into a larger buffer would serialise wrongly).
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Appends nodes to a graph; every generated name carries `prefix` so it cannot clash with the backbone's. */
export class GraphAppender {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;

  constructor(
    private readonly prefix: string,
    readonly opset: number,
  ) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
    hint = opType,
  ): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(hint));
    this.nodes.push({
      name: this.fresh(`${hint}_node`),
      opType,
      domain: '',
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttr(k, v)),
    });
    return outs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    return this.node(opType, inputs, attrs, 1, hint)[0];
  }

  /** Like op() but writes to a caller-chosen name (graph outputs). */
  opNamed(output: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    this.nodes.push({
      name: this.fresh(`${opType}_node`),
      opType,
      domain: '',
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => toAttr(k, v)),
    });
    return output;
  }

  floatInit(data: Float32Array, dims: number[], hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims, dataType: TENSOR_DATA_TYPE.float32, rawData: bytesOf(data) });
    return name;
  }

  int64Init(values: number[], dims: number[] = [values.length], hint = 'const_i64'): string {
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dims,
      dataType: TENSOR_DATA_TYPE.int64,
      rawData: bytesOf(BigInt64Array.from(values.map((v) => BigInt(v)))),
    });
    return name;
  }

  /** Reductions changed signature at opset 18 (axes became an input); emit whichever this opset wants. */
  reduce(
    opType: 'ReduceMin' | 'ReduceMax' | 'ReduceSum' | 'ReduceMean',
    x: string,
    axes: number[],
    keepdims: boolean,
  ): string {
    const inputsAxes = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (inputsAxes) return this.op(opType, [x, this.int64Init(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op(opType, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** Unsqueeze/Squeeze took `axes` as an attribute before opset 13. */
  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13
      ? this.op('Unsqueeze', [x, this.int64Init(axes)])
      : this.op('Unsqueeze', [x], { axes });
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13
      ? this.op('Squeeze', [x, this.int64Init(axes)])
      : this.op('Squeeze', [x], { axes });
  }

  /** Reshape to 1-D. */
  reshapeFlat(x: string): string {
    return this.op('Reshape', [x, this.int64Init([-1])]);
  }

  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    return this.op('Slice', [x, this.int64Init(starts), this.int64Init(ends), this.int64Init(axes)]);
  }
}

export function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0);
}

/** Returns a copy of `base` with the appender's nodes/initializers added and the given graph outputs. */
export function withAppended(
  base: ModelProto,
  app: GraphAppender,
  outputs: ValueInfoProto[],
  keepInputs = true,
): ModelProto {
  const g = base.graph ?? {};
  const opset = Math.max(defaultOpset(base), app.opset);
  const opsetImport = [
    ...(base.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'),
    { domain: '', version: opset },
  ];
  return {
    irVersion: Math.max(Number(base.irVersion ?? 8), 8),
    opsetImport,
    producerName: 'inspection-station',
    producerVersion: '1',
    graph: {
      name: g.name ?? 'graph',
      node: [...(g.node ?? []), ...app.nodes],
      initializer: [...(g.initializer ?? []), ...app.initializers],
      input: keepInputs ? g.input : [],
      output: outputs,
      valueInfo: [],
    },
  };
}
