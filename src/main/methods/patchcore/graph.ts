// ONNX graphs of PatchCore: backbone taps → patch features (fit and scoring share this part, so
// fit-time and run-time features are bit-identical), and the scoring head appended for export.
import type { ModelProto } from '../../onnx/schema';
import type { DataType, Dim } from '../../onnx/types';
import { GraphBuilder } from '../../onnx/builder';
import { attr } from '../../onnx/tensor';
import type { TapSpec } from '../types';

type OutputSpec = [name: string, dataType: DataType, dims: Dim[]];

/** The backbone loaded into the shared graph builder; PatchCore's ops are appended to it. */
function onBackbone(backbone: ModelProto): GraphBuilder {
  // Lenient: an op of a foreign backbone without a shape rule keeps an unknown shape.
  return GraphBuilder.fromModel(backbone, { name: 'patchcore', strictShapes: false });
}

/** The builder's model with exactly these graph outputs (the backbone's own tap outputs dropped). */
function withOutputs(g: GraphBuilder, outputs: OutputSpec[]): ModelProto {
  g.outputs.splice(0, g.outputs.length);
  for (const [name, dataType, dims] of outputs) g.output(name, dataType, dims);
  return g.toModelProto();
}

function floatInit(g: GraphBuilder, data: Float32Array, dims: number[], hint = 'const'): string {
  return g.initializer(g.uniqueName(`patchcore/${hint}`), data, dims);
}

function int64Init(g: GraphBuilder, values: number[], dims: number[] = [values.length]): string {
  return g.constant(values, { dataType: 'int64', dims, name: 'patchcore/const_i64' });
}

function reshapeFlat(g: GraphBuilder, x: string): string {
  return g.op('Reshape', [x, int64Init(g, [-1])]);
}

export interface FeatureGraphSpec {
  inputName: string;
  inputSize: number;
  /** Exactly two taps: the finer one (stride 8) first. */
  taps: [TapSpec, TapSpec];
  /** Optional fixed linear reduction baked into the graph, row-major [inDim, outDim]. */
  projection?: { matrix: Float32Array; inDim: number; outDim: number };
}

export function featureGrid(spec: Pick<FeatureGraphSpec, 'inputSize' | 'taps'>): { h: number; w: number } {
  const s = spec.taps[0].size ?? Math.ceil(spec.inputSize / spec.taps[0].stride);
  return { h: s, w: s };
}

export function rawDim(spec: Pick<FeatureGraphSpec, 'taps'>): number {
  return spec.taps[0].channels + spec.taps[1].channels;
}

export function featureDim(spec: FeatureGraphSpec): number {
  return spec.projection ? spec.projection.outDim : rawDim(spec);
}

/**
 * Appends aggregation to the tap outputs; returns the name of the [N, HW, D] feature tensor.
 * AvgPool counts the zero padding (count_include_pad=1) like anomalib's AvgPool2d(3,1,1): border
 * patches are damped towards zero, which is what the published numbers were measured with.
 */
export function appendFeatures(
  g: GraphBuilder,
  spec: FeatureGraphSpec,
  grid: { h: number; w: number },
): string {
  const pool = (x: string): string =>
    g.op('AveragePool', [x], {
      kernel_shape: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      count_include_pad: 1,
    });
  const fine = pool(spec.taps[0].name);
  const coarse = pool(spec.taps[1].name);
  // Target sizes: coarse map's N and C with the fine map's H and W (batch stays symbolic).
  const sizes = g.op(
    'Concat',
    [g.slice(g.op('Shape', [coarse]), [0], [2], [0]), g.slice(g.op('Shape', [fine]), [2], [4], [0])],
    { axis: 0 },
  );
  const upsampled = g.op('Resize', [coarse, '', '', sizes], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  const cat = g.op('Concat', [fine, upsampled], { axis: 1 });
  const nhwc = g.op('Transpose', [cat], { perm: [0, 2, 3, 1] });
  const d0 = rawDim(spec);
  let feats = g.op('Reshape', [nhwc, int64Init(g, [0, grid.h * grid.w, d0])]);
  if (spec.projection) {
    if (spec.projection.inDim !== d0)
      throw new Error(`projection expects ${spec.projection.inDim}-d input, features are ${d0}-d`);
    const r = floatInit(
      g,
      spec.projection.matrix,
      [spec.projection.inDim, spec.projection.outDim],
      'projection',
    );
    feats = g.op('MatMul', [feats, r]);
  }
  return feats;
}

/** Feature extractor used by fit: outputs `features` [N,HW,D] and, when given, `coreset_proj` [N,HW,k]. */
export function buildFeatureModel(
  backbone: ModelProto,
  spec: FeatureGraphSpec,
  coresetProjection?: Float32Array,
  coresetDim = 128,
): ModelProto {
  const g = onBackbone(backbone);
  const grid = featureGrid(spec);
  const feats = appendFeatures(g, spec, grid);
  const d = featureDim(spec);
  g.op('Identity', [feats], {}, { outputs: ['features'] });
  const outputs: OutputSpec[] = [['features', 'float32', ['N', grid.h * grid.w, d]]];
  if (coresetProjection) {
    const r = floatInit(g, coresetProjection, [d, coresetDim], 'coreset_projection');
    g.op('MatMul', [feats, r], {}, { outputs: ['coreset_proj'] });
    outputs.push(['coreset_proj', 'float32', ['N', grid.h * grid.w, coresetDim]]);
  }
  return withOutputs(g, outputs);
}

export interface BankChunks {
  /** Names of [Mc, D] bank chunk initializers and their [Mc] squared norms, in bank order. */
  chunks: { rows: string; sqnorm: string; offset: number; size: number }[];
}

/** Splits the bank into initializers of at most `chunkSize` rows. */
export function addBankChunks(
  g: GraphBuilder,
  bank: Float32Array,
  dim: number,
  chunkSize: number,
): BankChunks {
  const m = bank.length / dim;
  const chunks: BankChunks['chunks'] = [];
  for (let off = 0; off < m; off += chunkSize) {
    const size = Math.min(chunkSize, m - off);
    const rows = bank.subarray(off * dim, (off + size) * dim);
    const sq = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += rows[i * dim + k] * rows[i * dim + k];
      sq[i] = s;
    }
    chunks.push({
      rows: floatInit(g, rows, [size, dim], 'bank_chunk'),
      sqnorm: floatInit(g, sq, [1, size], 'bank_sqnorm'),
      offset: off,
      size,
    });
  }
  return { chunks };
}

/**
 * Nearest bank vector of every row of x [P, D], one chunk at a time: per chunk one Gemm computes
 * ||b||² − 2·x·bᵀ (P × chunk, the only P-by-bank sized tensor, alive for one chunk), then the
 * per-chunk minima are merged. ||x||² is added after the minimum because it is constant per row.
 * Returns the squared distance [P,1] and the global bank index [P,1] (int64).
 */
export function appendChunkedNearest(
  g: GraphBuilder,
  x: string,
  bank: BankChunks,
): { d2: string; index: string } {
  const x2 = g.reduce('ReduceSum', g.op('Mul', [x, x]), [1], true);
  const mins: string[] = [];
  const idxs: string[] = [];
  for (const c of bank.chunks) {
    const partial = g.op(
      'Gemm',
      [x, c.rows, c.sqnorm],
      { alpha: attr.float(-2), beta: attr.float(1), transB: 1 },
      { name: g.uniqueName('patchcore/chunk_scores') },
    );
    const [v, i] = g.node(
      'TopK',
      [partial, int64Init(g, [1])],
      { axis: 1, largest: 0, sorted: 1 },
      { outputs: 2, name: g.uniqueName('patchcore/chunk_min') },
    );
    mins.push(v);
    idxs.push(c.offset === 0 ? i : g.op('Add', [i, int64Init(g, [c.offset], [1, 1])]));
  }
  let best: string;
  let index: string;
  if (bank.chunks.length === 1) {
    best = mins[0];
    index = idxs[0];
  } else {
    const allMin = g.op('Concat', mins, { axis: 1 });
    const allIdx = g.op('Concat', idxs, { axis: 1 });
    const [v, which] = g.node(
      'TopK',
      [allMin, int64Init(g, [1])],
      { axis: 1, largest: 0, sorted: 1 },
      { outputs: 2, name: g.uniqueName('patchcore/merge_min') },
    );
    best = v;
    index = g.op('GatherElements', [allIdx, which], { axis: 1 });
  }
  const d2 = g.op('Max', [g.op('Add', [best, x2]), floatInit(g, new Float32Array([0]), [], 'zero')]);
  return { d2, index };
}

export function gaussianKernel1d(sigma: number): Float32Array {
  // Same support as anomalib's GaussianBlur2d: 2·int(4σ + 0.5) + 1 taps.
  const radius = Math.floor(4 * sigma + 0.5);
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

export interface HeadSpec {
  bank: Float32Array;
  dim: number;
  chunkSize: number;
  /** 1 = plain max; 9 = paper Eq. 7 reweighting. */
  numNeighbors: number;
  blurSigma: number;
}

/** Full package graph: backbone + features + chunked NN + reweighting + map upsample + blur. */
export function buildScoringModel(
  backbone: ModelProto,
  spec: FeatureGraphSpec,
  head: HeadSpec,
): { model: ModelProto; chunks: number } {
  const g = onBackbone(backbone);
  const grid = featureGrid(spec);
  const hw = grid.h * grid.w;
  const d = head.dim;
  const m = head.bank.length / d;
  const feats = appendFeatures(g, spec, grid); // [N, HW, D]
  const flat = g.op('Reshape', [feats, int64Init(g, [-1, d])]); // [N·HW, D]
  const bank = addBankChunks(g, head.bank, d, head.chunkSize);
  const nn = appendChunkedNearest(g, flat, bank);
  const patch = g.op('Reshape', [g.op('Sqrt', [nn.d2]), int64Init(g, [-1, hw])]); // [N, HW]
  const maxScore = g.reduce('ReduceMax', patch, [1], false); // [N]

  const k = Math.min(head.numNeighbors, m);
  if (k <= 1) {
    g.op('Identity', [maxScore], {}, { outputs: ['pred_score'] });
  } else {
    // Paper Eq. 7 on the worst patch: its nearest bank vector m*, m*'s k nearest bank vectors
    // (m* first, distance 0), the test patch's distances to those, weight = 1 − softmax(d)[0].
    const worst = g.op('ArgMax', [patch], { axis: 1, keepdims: 1 }); // [N,1]
    const nnIdx = g.op('Reshape', [nn.index, int64Init(g, [-1, hw])]); // [N, HW]
    const mStar = reshapeFlat(g, g.op('GatherElements', [nnIdx, worst], { axis: 1 })); // [N]
    const worst3 = g.op('Expand', [g.unsqueeze(worst, [2]), int64Init(g, [1, 1, d])]); // [N,1,D]
    const xStar = g.op('GatherElements', [feats, worst3], { axis: 1 }); // [N,1,D]
    const allRows =
      bank.chunks.length === 1
        ? bank.chunks[0].rows
        : g.op(
            'Concat',
            bank.chunks.map((c) => c.rows),
            { axis: 0 },
          );
    const allSq =
      bank.chunks.length === 1
        ? bank.chunks[0].sqnorm
        : g.op(
            'Concat',
            bank.chunks.map((c) => c.sqnorm),
            { axis: 1 },
          );
    const mVec = g.op('Gather', [allRows, mStar], { axis: 0 }); // [N, D]
    const mm = g.op('Gemm', [mVec, allRows, allSq], {
      alpha: attr.float(-2),
      beta: attr.float(1),
      transB: 1,
    }); // [N, M] (no ||m*||², constant per row)
    const [, support] = g.node(
      'TopK',
      [mm, int64Init(g, [k])],
      { axis: 1, largest: 0, sorted: 1 },
      { outputs: 2, name: g.uniqueName('patchcore/support') },
    );
    // m* scores −||m*||², the row minimum, so it comes first; an exact duplicate of m* may tie
    // with it, but its distance to the test patch is the same, so the weight is unaffected.
    const supportVec = g.op('Gather', [allRows, support], { axis: 0 }); // [N, k, D]
    const diff = g.op('Sub', [supportVec, xStar]);
    const dist = g.op('Sqrt', [g.reduce('ReduceSum', g.op('Mul', [diff, diff]), [2], false)]); // [N, k]
    const soft = g.op('Softmax', [dist], { axis: 1 });
    const first = reshapeFlat(g, g.slice(soft, [0], [1], [1])); // [N]
    const weight = g.op('Sub', [floatInit(g, new Float32Array([1]), [], 'one'), first]);
    g.op('Mul', [weight, maxScore], {}, { outputs: ['pred_score'] });
  }

  // Map: bilinear (half-pixel) to the input size, reflect-padded separable Gaussian as two fixed
  // depthwise Convs (1 channel), which is what anomalib's GaussianBlur2d computes.
  const map4 = g.op('Reshape', [patch, int64Init(g, [-1, 1, grid.h, grid.w])]);
  const batchDims = g.slice(g.op('Shape', [map4]), [0], [2], [0]);
  const sizes = g.op('Concat', [batchDims, int64Init(g, [spec.inputSize, spec.inputSize])], { axis: 0 });
  const up = g.op('Resize', [map4, '', '', sizes], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  const kern = gaussianKernel1d(head.blurSigma);
  const r = (kern.length - 1) / 2;
  const padded = g.op('Pad', [up, int64Init(g, [0, 0, r, r, 0, 0, r, r])], { mode: 'reflect' });
  const kv = floatInit(g, kern, [1, 1, kern.length, 1], 'blur_v');
  const kh = floatInit(g, kern, [1, 1, 1, kern.length], 'blur_h');
  const blurredV = g.op('Conv', [padded, kv], { kernel_shape: [kern.length, 1] });
  g.op('Conv', [blurredV, kh], { kernel_shape: [1, kern.length] }, { outputs: ['anomaly_map'] });

  const outputs: OutputSpec[] = [
    ['anomaly_map', 'float32', ['N', 1, spec.inputSize, spec.inputSize]],
    ['pred_score', 'float32', ['N']],
  ];
  return { model: withOutputs(g, outputs), chunks: bank.chunks.length };
}

/** Feature extractor + chunked NN search: the in-memory scorer's ORT part (post-processing is in JS). */
export function buildNearestModel(
  backbone: ModelProto,
  spec: FeatureGraphSpec,
  bank: Float32Array,
  dim: number,
  chunkSize: number,
): ModelProto {
  const g = onBackbone(backbone);
  const grid = featureGrid(spec);
  const hw = grid.h * grid.w;
  const feats = appendFeatures(g, spec, grid);
  g.op('Identity', [feats], {}, { outputs: ['features'] });
  const flat = g.op('Reshape', [feats, int64Init(g, [-1, dim])]);
  const nn = appendChunkedNearest(g, flat, addBankChunks(g, bank, dim, chunkSize));
  g.op('Reshape', [nn.d2, int64Init(g, [-1, hw])], {}, { outputs: ['nn_d2'] });
  g.op('Reshape', [nn.index, int64Init(g, [-1, hw])], {}, { outputs: ['nn_index'] });
  return withOutputs(g, [
    ['features', 'float32', ['N', hw, dim]],
    ['nn_d2', 'float32', ['N', hw]],
    ['nn_index', 'int64', ['N', hw]],
  ]);
}
