// Conversions between TensorData, TensorProto and attribute encodings.
import os from 'node:os';
import { ATTRIBUTE_TYPE, TENSOR_DATA_TYPE, type AttributeProto, type TensorProto } from './schema';
import type { Attribute, AttributeInput, DataType, TensorArray, TensorData } from './types';
import { GraphError } from './types';

// raw_data is little-endian by spec; we hand typed-array memory straight to protobuf, which is
// only right on little-endian hosts (every platform Node ships prebuilt ONNX Runtime for).
if (os.endianness() !== 'LE') throw new Error('ONNX raw_data writing assumes a little-endian host');

const CODE_TO_TYPE = new Map<number, DataType>(
  Object.entries(TENSOR_DATA_TYPE).map(([k, v]) => [v, k as DataType]),
);

export function dataTypeCode(t: DataType): number {
  return TENSOR_DATA_TYPE[t];
}

export function dataTypeFromCode(code: number): DataType {
  const t = CODE_TO_TYPE.get(code);
  if (!t) throw new GraphError(`unsupported ONNX tensor data type code ${code}`);
  return t;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Typed array constructor for a dtype (float16 as raw Uint16 bits, bool as bytes). */
export function arrayFor(t: DataType, length: number): TensorArray {
  switch (t) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'float16':
    case 'uint16':
      return new Uint16Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'uint64':
      return new BigUint64Array(length);
    case 'string':
      throw new GraphError('string tensors have no typed array');
  }
}

export function dataTypeOfArray(a: TensorArray): DataType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof BigUint64Array) return 'uint64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  throw new GraphError('unsupported typed array');
}

/** Build a TensorData, checking that dims match the element count. */
export function tensor(data: TensorArray, dims: readonly number[], dataType?: DataType): TensorData {
  const t = dataType ?? dataTypeOfArray(data);
  const n = elementCount(dims);
  if (n !== data.length) {
    throw new GraphError(`tensor dims [${dims.join(',')}] hold ${n} elements, data has ${data.length}`);
  }
  return { dataType: t, dims: [...dims], data };
}

export function int64Tensor(
  values: readonly number[],
  dims: readonly number[] = [values.length],
): TensorData {
  return tensor(BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v)))), dims, 'int64');
}

export function float32Tensor(
  values: ArrayLike<number>,
  dims: readonly number[] = [values.length],
): TensorData {
  return tensor(Float32Array.from(values as ArrayLike<number>), dims, 'float32');
}

/** Numbers of a constant tensor (int64 converted with Number(); fine for shapes and indices). */
export function tensorNumbers(t: TensorData): number[] {
  if (Array.isArray(t.data)) throw new GraphError('string tensor has no numbers');
  const out: number[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return out;
}

export function tensorToProto(name: string, t: TensorData): TensorProto {
  const proto: TensorProto = { name, dims: [...t.dims], dataType: dataTypeCode(t.dataType) };
  if (Array.isArray(t.data)) {
    proto.stringData = t.data.map((s) => Buffer.from(s, 'utf8'));
  } else {
    // A view, not a copy: initializers can be hundreds of MB.
    proto.rawData = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  return proto;
}

export function tensorFromProto(p: TensorProto): TensorData {
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length > 0)) {
    throw new GraphError(
      `tensor '${p.name ?? ''}' stores its data in an external file; re-export the model with the weights inline`,
    );
  }
  const dataType = dataTypeFromCode(p.dataType ?? 0);
  const dims = (p.dims ?? []).map(Number);
  const n = elementCount(dims);
  if (dataType === 'string') {
    return { dataType, dims, data: (p.stringData ?? []).map((b) => Buffer.from(b).toString('utf8')) };
  }
  const out = arrayFor(dataType, n);
  if (p.rawData && p.rawData.length > 0) {
    if (p.rawData.length !== out.byteLength) {
      throw new GraphError(
        `tensor '${p.name ?? ''}' raw_data has ${p.rawData.length} bytes, expected ${out.byteLength}`,
      );
    }
    // Copy through bytes: raw_data inside a protobuf buffer is not aligned for the typed array.
    new Uint8Array(out.buffer).set(p.rawData);
    return { dataType, dims, data: out };
  }
  let src: ArrayLike<number>;
  switch (dataType) {
    case 'float32':
      src = p.floatData ?? [];
      break;
    case 'float64':
      src = p.doubleData ?? [];
      break;
    case 'int64':
      src = p.int64Data ?? [];
      break;
    case 'uint32':
    case 'uint64':
      src = p.uint64Data ?? [];
      break;
    default:
      // int8/16/32, uint8/16, bool and float16 bits all live in int32_data.
      src = p.int32Data ?? [];
  }
  if (src.length !== n) {
    throw new GraphError(`tensor '${p.name ?? ''}' has ${src.length} values for dims [${dims.join(',')}]`);
  }
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number(src[i])));
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  }
  return { dataType, dims, data: out };
}

// Attributes whose ONNX type is float even when the value happens to be integral (alpha = 1).
const FLOAT_ATTRIBUTE_NAMES = new Set([
  'alpha',
  'beta',
  'gamma',
  'epsilon',
  'momentum',
  'bias',
  'lambd',
  'min',
  'max',
  'scale',
  'scales',
  'ratio',
  'spatial_scale',
  'cubic_coeff_a',
  'extrapolation_value',
  'norm_coefficient',
  'decay_factor',
  'value_float',
  'value_floats',
]);

export function isTensorData(v: unknown): v is TensorData {
  return typeof v === 'object' && v !== null && 'dataType' in v && 'dims' in v && 'data' in v;
}

function isAttribute(v: unknown): v is Attribute {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v && !Array.isArray(v);
}

/** Classify a loosely typed attribute value; see FLOAT_ATTRIBUTE_NAMES for the float rule. */
export function toAttribute(name: string, v: AttributeInput): Attribute {
  if (isAttribute(v)) return v;
  if (isTensorData(v)) return { type: 'tensor', value: v };
  const floaty = FLOAT_ATTRIBUTE_NAMES.has(name);
  if (typeof v === 'number') {
    return floaty || !Number.isInteger(v) ? { type: 'float', value: v } : { type: 'int', value: v };
  }
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) {
      if (v.length > 0) return { type: 'strings', value: v as string[] };
    }
    const nums = v as number[];
    return floaty || nums.some((x) => !Number.isInteger(x))
      ? { type: 'floats', value: nums }
      : { type: 'ints', value: nums };
  }
  throw new GraphError(`attribute '${name}' has an unsupported value`);
}

/** Explicit attribute constructors for when the name-based rule would guess wrong. */
export const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  int: (value: number): Attribute => ({ type: 'int', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  tensor: (value: TensorData): Attribute => ({ type: 'tensor', value }),
};

export function attributeToProto(name: string, a: Attribute): AttributeProto {
  switch (a.type) {
    case 'float':
      return { name, type: ATTRIBUTE_TYPE.FLOAT, f: a.value };
    case 'int':
      return { name, type: ATTRIBUTE_TYPE.INT, i: a.value };
    case 'string':
      return { name, type: ATTRIBUTE_TYPE.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'tensor':
      return { name, type: ATTRIBUTE_TYPE.TENSOR, t: tensorToProto('', a.value) };
    case 'floats':
      return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: ATTRIBUTE_TYPE.INTS, ints: a.value };
    case 'strings':
      return { name, type: ATTRIBUTE_TYPE.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'graph':
      return { name, type: ATTRIBUTE_TYPE.GRAPH, g: a.value as AttributeProto['g'] };
    case 'raw':
      return { ...(a.value as AttributeProto), name };
  }
}

export function attributeFromProto(p: AttributeProto): Attribute {
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  switch (p.type) {
    case ATTRIBUTE_TYPE.FLOAT:
      return { type: 'float', value: p.f ?? 0 };
    case ATTRIBUTE_TYPE.INT:
      return { type: 'int', value: Number(p.i ?? 0) };
    case ATTRIBUTE_TYPE.STRING:
      return { type: 'string', value: utf8(p.s ?? new Uint8Array()) };
    case ATTRIBUTE_TYPE.TENSOR:
      return { type: 'tensor', value: tensorFromProto(p.t ?? {}) };
    case ATTRIBUTE_TYPE.FLOATS:
      return { type: 'floats', value: [...(p.floats ?? [])] };
    case ATTRIBUTE_TYPE.INTS:
      return { type: 'ints', value: (p.ints ?? []).map(Number) };
    case ATTRIBUTE_TYPE.STRINGS:
      return { type: 'strings', value: (p.strings ?? []).map(utf8) };
    case ATTRIBUTE_TYPE.GRAPH:
      return { type: 'graph', value: p.g };
    default: {
      // Sparse tensors, type protos, lists of graphs: kept verbatim so a round trip loses nothing.
      const { name: _name, ...rest } = p;
      return { type: 'raw', value: rest };
    }
  }
}
