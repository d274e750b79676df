// The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, IR version 10) that we read
// and write, as a protobufjs JSON descriptor. Field numbers are the official ones; names are
// camelCase because protobufjs uses the descriptor's names as JS keys. Keeping it as data (not a
// .proto file read at run time) means nothing has to be located on disk after bundling.
import protobuf from 'protobufjs';

const stringField = (id: number) => ({ type: 'string', id });
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: stringField(1),
            refAttrName: stringField(21),
            docString: stringField(13),
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            sparseTensor: { type: 'SparseTensorProto', id: 22 },
            tp: { type: 'TypeProto', id: 14 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
            sparseTensors: repeated('SparseTensorProto', 23),
            typeProtos: repeated('TypeProto', 15),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
                SPARSE_TENSOR: 11,
                SPARSE_TENSORS: 12,
                TYPE_PROTO: 13,
                TYPE_PROTOS: 14,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: stringField(1),
            type: { type: 'TypeProto', id: 2 },
            docString: stringField(3),
            metadataProps: repeated('StringStringEntryProto', 4),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: stringField(3),
            opType: stringField(4),
            domain: stringField(7),
            overload: stringField(8),
            attribute: repeated('AttributeProto', 5),
            docString: stringField(6),
            metadataProps: repeated('StringStringEntryProto', 9),
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: repeated('OperatorSetIdProto', 8),
            producerName: stringField(2),
            producerVersion: stringField(3),
            domain: stringField(4),
            modelVersion: { type: 'int64', id: 5 },
            docString: stringField(6),
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: repeated('StringStringEntryProto', 14),
            functions: repeated('FunctionProto', 25),
          },
        },
        StringStringEntryProto: {
          fields: { key: stringField(1), value: stringField(2) },
        },
        TensorAnnotation: {
          fields: {
            tensorName: stringField(1),
            quantParameterTensorNames: repeated('StringStringEntryProto', 2),
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: stringField(2),
            initializer: repeated('TensorProto', 5),
            sparseInitializer: repeated('SparseTensorProto', 15),
            docString: stringField(10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
            quantizationAnnotation: repeated('TensorAnnotation', 14),
            metadataProps: repeated('StringStringEntryProto', 16),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: { type: 'int32', id: 2 },
            segment: { type: 'Segment', id: 3 },
            floatData: { ...repeated('float', 4), options: { packed: true } },
            int32Data: { ...repeated('int32', 5), options: { packed: true } },
            stringData: repeated('bytes', 6),
            int64Data: { ...repeated('int64', 7), options: { packed: true } },
            name: stringField(8),
            docString: stringField(12),
            rawData: { type: 'bytes', id: 9 },
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: { type: 'DataLocation', id: 14 },
            doubleData: { ...repeated('double', 10), options: { packed: true } },
            uint64Data: { ...repeated('uint64', 11), options: { packed: true } },
            metadataProps: repeated('StringStringEntryProto', 16),
          },
          nested: {
            Segment: { fields: { begin: { type: 'int64', id: 1 }, end: { type: 'int64', id: 2 } } },
            DataLocation: { values: { DEFAULT: 0, EXTERNAL: 1 } },
          },
        },
        SparseTensorProto: {
          fields: {
            values: { type: 'TensorProto', id: 1 },
            indices: { type: 'TensorProto', id: 2 },
            dims: repeated('int64', 3),
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: stringField(2),
                denotation: stringField(3),
              },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: {
              oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'],
            },
          },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            sequenceType: { type: 'Sequence', id: 4 },
            mapType: { type: 'Map', id: 5 },
            optionalType: { type: 'Optional', id: 9 },
            sparseTensorType: { type: 'SparseTensor', id: 8 },
            denotation: stringField(6),
          },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
            Sequence: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            Map: {
              fields: {
                keyType: { type: 'int32', id: 1 },
                valueType: { type: 'TypeProto', id: 2 },
              },
            },
            Optional: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            SparseTensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: stringField(1), version: { type: 'int64', id: 2 } },
        },
        FunctionProto: {
          fields: {
            name: stringField(1),
            input: repeated('string', 4),
            output: repeated('string', 5),
            attribute: repeated('string', 6),
            attributeProto: repeated('AttributeProto', 11),
            node: repeated('NodeProto', 7),
            docString: stringField(8),
            opsetImport: repeated('OperatorSetIdProto', 9),
            domain: stringField(10),
            overload: stringField(13),
            valueInfo: repeated('ValueInfoProto', 12),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

let root: protobuf.Root | null = null;

/** Lazily built so importing the builder costs nothing until a model is (de)serialised. */
export function onnxRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(descriptor);
  return root;
}

export function modelProtoType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

// ---------- Plain-object shapes of the decoded messages (int64 fields decoded as numbers) ----------

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

export interface TensorProto {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntryProto[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: number[];
}

export interface DimensionProto {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
  denotation?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface AttributeProto {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  [other: string]: unknown;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparseInitializer?: unknown[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  quantizationAnnotation?: unknown[];
  metadataProps?: StringStringEntryProto[];
}

export interface FunctionProto {
  name?: string;
  input?: string[];
  output?: string[];
  node?: NodeProto[];
  domain?: string;
  [other: string]: unknown;
}

export interface ModelProto {
  irVersion?: number;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: StringStringEntryProto[];
  functions?: FunctionProto[];
}

/** Numeric codes of TensorProto.DataType. */
export const TENSOR_DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;

export const ATTRIBUTE_TYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;
