// Plain typed objects for graphs under construction. Nodes are data, not closures, so later passes
// (pruning, reverse-mode autodiff, FLOP counting) can walk `GraphBuilder.nodes` and read shapes
// from `GraphBuilder.values` without going back through protobuf.

export type DataType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/** A dimension: a number when known, a symbolic name (e.g. 'N') when only named, never both. */
export type Dim = number | string;
export type Shape = Dim[];

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** A constant tensor (initializer, Constant node value, tensor attribute). float16 is kept as raw Uint16 bits. */
export interface TensorData {
  dataType: DataType;
  dims: number[];
  data: TensorArray | string[];
}

export interface ValueInfo {
  dataType: DataType;
  /** undefined when even the rank is unknown (e.g. output of an op we have no rule for). */
  shape?: Shape;
}

export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorData }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  /** Subgraphs (If/Loop bodies) of imported models are carried through untouched. */
  | { type: 'graph'; value: unknown }
  | { type: 'raw'; value: unknown };

/** What callers may pass as an attribute; numbers are classified by `toAttribute`. */
export type AttributeInput = number | number[] | string | string[] | TensorData | Attribute;

export interface NodeDef {
  name: string;
  opType: string;
  /** '' is the default ONNX domain. */
  domain: string;
  /** '' marks an omitted optional input, as in ONNX. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attribute>;
}

export interface GraphIO {
  name: string;
  info: ValueInfo;
}

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}
