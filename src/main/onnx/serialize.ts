// Protobuf encoding/decoding of whole models.
import { modelProtoType, type ModelProto } from './schema';
import { GraphError } from './types';

export function serializeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  // create() (not fromObject) keeps our Uint8Array views as-is instead of copying every initializer.
  return type.encode(type.create(model as Record<string, unknown>)).finish();
}

export function parseModel(bytes: Uint8Array): ModelProto {
  const type = modelProtoType();
  let msg;
  try {
    msg = type.decode(bytes);
  } catch (e) {
    throw new GraphError(`not an ONNX model: ${(e as Error).message}`);
  }
  const obj = type.toObject(msg, {
    longs: Number,
    enums: Number,
    bytes: Uint8Array,
    defaults: false,
    arrays: true,
  }) as ModelProto;
  if (!obj.graph) throw new GraphError('not an ONNX model: no graph');
  return obj;
}
