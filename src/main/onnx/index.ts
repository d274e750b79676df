// Public surface of the ONNX graph toolkit.
export { GraphBuilder } from './builder';
export type { ConvOptions, GraphBuilderOptions, NodeOptions, PoolOptions, ToModelOptions } from './builder';
export { serializeModel, parseModel } from './serialize';
export { countFlops } from './flops';
export type { FlopCount } from './flops';
export { broadcastShapes, SHAPE_RULES, ShapeError } from './shapes';
export type { InferContext } from './shapes';
export {
  attr,
  dataTypeCode,
  dataTypeFromCode,
  elementCount,
  float32Tensor,
  int64Tensor,
  tensor,
  tensorFromProto,
  tensorNumbers,
  tensorToProto,
} from './tensor';
export type {
  ModelProto,
  GraphProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
  AttributeProto,
} from './schema';
export { GraphError } from './types';
export type {
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
