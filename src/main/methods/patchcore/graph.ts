// ONNX graphs of PatchCore: backbone taps → patch features (fit and scoring share this part, so
// fit-time and run-time features are bit-identical), and the scoring head appended for export.
import { TENSOR_DATA_TYPE, type ModelProto } from '../../onnx/schema';
import { GraphAppender, defaultOpset, valueInfo, withAppended } from './onnx-lite';

export interface TapSpec {
  /** Output name of the tap in the backbone graph. */
  name: string;
  stride: number;
  channels: number;
  /** Spatial size (H = W) of the tap at the model's input size, when not inputSize / stride (valid-padded nets). */
  size?: number;
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
  app: GraphAppender,
  spec: FeatureGraphSpec,
  grid: { h: number; w: number },
): string {
  const pool = (x: string): string =>
    app.op('AveragePool', [x], {
      kernel_shape: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      count_include_pad: 1,
    });
  const fine = pool(spec.taps[0].name);
  const coarse = pool(spec.taps[1].name);
  // Target sizes: coarse map's N and C with the fine map's H and W (batch stays symbolic).
  const sizes = app.op(
    'Concat',
    [app.slice(app.op('Shape', [coarse]), [0], [2], [0]), app.slice(app.op('Shape', [fine]), [2], [4], [0])],
    { axis: 0 },
  );
  const upsampled = app.op('Resize', [coarse, '', '', sizes], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  const cat = app.op('Concat', [fine, upsampled], { axis: 1 });
  const nhwc = app.op('Transpose', [cat], { perm: [0, 2, 3, 1] });
  const d0 = rawDim(spec);
  let feats = app.op('Reshape', [nhwc, app.int64Init([0, grid.h * grid.w, d0])]);
  if (spec.projection) {
    if (spec.projection.inDim !== d0)
      throw new Error(`projection expects ${spec.projection.inDim}-d input, features are ${d0}-d`);
    const r = app.floatInit(
      spec.projection.matrix,
      [spec.projection.inDim, spec.projection.outDim],
      'projection',
    );
    feats = app.op('MatMul', [feats, r]);
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
  const app = new GraphAppender('patchcore', defaultOpset(backbone));
  const grid = featureGrid(spec);
  const feats = appendFeatures(app, spec, grid);
  const d = featureDim(spec);
  app.opNamed('features', 'Identity', [feats]);
  const outputs = [valueInfo('features', TENSOR_DATA_TYPE.float32, ['N', grid.h * grid.w, d])];
  if (coresetProjection) {
    const r = app.floatInit(coresetProjection, [d, coresetDim], 'coreset_projection');
    app.opNamed('coreset_proj', 'MatMul', [feats, r]);
    outputs.push(valueInfo('coreset_proj', TENSOR_DATA_TYPE.float32, ['N', grid.h * grid.w, coresetDim]));
  }
  return withAppended(backbone, app, outputs);
}

export interface BankChunks {
  /** Names of [Mc, D] bank chunk initializers and their [Mc] squared norms, in bank order. */
  chunks: { rows: string; sqnorm: string; offset: number; size: number }[];
}

/** Splits the bank into initializers of at most `chunkSize` rows. */
export function addBankChunks(
  app: GraphAppender,
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
      rows: app.floatInit(rows, [size, dim], 'bank_chunk'),
      sqnorm: app.floatInit(sq, [1, size], 'bank_sqnorm'),
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
  app: GraphAppender,
  x: string,
  bank: BankChunks,
): { d2: string; index: string } {
  const x2 = app.reduce('ReduceSum', app.op('Mul', [x, x]), [1], true);
  const mins: string[] = [];
  const idxs: string[] = [];
  for (const c of bank.chunks) {
    const partial = app.op(
      'Gemm',
      [x, c.rows, c.sqnorm],
      { alpha: { float: -2 }, beta: { float: 1 }, transB: 1 },
      'chunk_scores',
    );
    const [v, i] = app.node(
      'TopK',
      [partial, app.int64Init([1])],
      { axis: 1, largest: 0, sorted: 1 },
      2,
      'chunk_min',
    );
    mins.push(v);
    idxs.push(c.offset === 0 ? i : app.op('Add', [i, app.int64Init([c.offset], [1, 1])]));
  }
  let best: string;
  let index: string;
  if (bank.chunks.length === 1) {
    best = mins[0];
    index = idxs[0];
  } else {
    const allMin = app.op('Concat', mins, { axis: 1 });
    const allIdx = app.op('Concat', idxs, { axis: 1 });
    const [v, which] = app.node(
      'TopK',
      [allMin, app.int64Init([1])],
      { axis: 1, largest: 0, sorted: 1 },
      2,
      'merge_min',
    );
    best = v;
    index = app.op('GatherElements', [allIdx, which], { axis: 1 });
  }
  const d2 = app.op('Max', [app.op('Add', [best, x2]), app.floatInit(new Float32Array([0]), [], 'zero')]);
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
  const app = new GraphAppender('patchcore', defaultOpset(backbone));
  const grid = featureGrid(spec);
  const hw = grid.h * grid.w;
  const d = head.dim;
  const m = head.bank.length / d;
  const feats = appendFeatures(app, spec, grid); // [N, HW, D]
  const flat = app.op('Reshape', [feats, app.int64Init([-1, d])]); // [N·HW, D]
  const bank = addBankChunks(app, head.bank, d, head.chunkSize);
  const nn = appendChunkedNearest(app, flat, bank);
  const patch = app.op('Reshape', [app.op('Sqrt', [nn.d2]), app.int64Init([-1, hw])]); // [N, HW]
  const maxScore = app.reduce('ReduceMax', patch, [1], false); // [N]

  const k = Math.min(head.numNeighbors, m);
  if (k <= 1) {
    app.opNamed('pred_score', 'Identity', [maxScore]);
  } else {
    // Paper Eq. 7 on the worst patch: its nearest bank vector m*, m*'s k nearest bank vectors
    // (m* first, distance 0), the test patch's distances to those, weight = 1 − softmax(d)[0].
    const worst = app.op('ArgMax', [patch], { axis: 1, keepdims: 1 }); // [N,1]
    const nnIdx = app.op('Reshape', [nn.index, app.int64Init([-1, hw])]); // [N, HW]
    const mStar = app.reshapeFlat(app.op('GatherElements', [nnIdx, worst], { axis: 1 })); // [N]
    const worst3 = app.op('Expand', [app.unsqueeze(worst, [2]), app.int64Init([1, 1, d])]); // [N,1,D]
    const xStar = app.op('GatherElements', [feats, worst3], { axis: 1 }); // [N,1,D]
    const allRows =
      bank.chunks.length === 1
        ? bank.chunks[0].rows
        : app.op(
            'Concat',
            bank.chunks.map((c) => c.rows),
            { axis: 0 },
          );
    const allSq =
      bank.chunks.length === 1
        ? bank.chunks[0].sqnorm
        : app.op(
            'Concat',
            bank.chunks.map((c) => c.sqnorm),
            { axis: 1 },
          );
    const mVec = app.op('Gather', [allRows, mStar], { axis: 0 }); // [N, D]
    const mm = app.op('Gemm', [mVec, allRows, allSq], {
      alpha: { float: -2 },
      beta: { float: 1 },
      transB: 1,
    }); // [N, M] (no ||m*||², constant per row)
    const [, support] = app.node(
      'TopK',
      [mm, app.int64Init([k])],
      { axis: 1, largest: 0, sorted: 1 },
      2,
      'support',
    );
    // m* scores −||m*||², the row minimum, so it comes first; an exact duplicate of m* may tie
    // with it, but its distance to the test patch is the same, so the weight is unaffected.
    const supportVec = app.op('Gather', [allRows, support], { axis: 0 }); // [N, k, D]
    const diff = app.op('Sub', [supportVec, xStar]);
    const dist = app.op('Sqrt', [app.reduce('ReduceSum', app.op('Mul', [diff, diff]), [2], false)]); // [N, k]
    const soft = app.op('Softmax', [dist], { axis: 1 });
    const first = app.reshapeFlat(app.slice(soft, [0], [1], [1])); // [N]
    const weight = app.op('Sub', [app.floatInit(new Float32Array([1]), [], 'one'), first]);
    app.opNamed('pred_score', 'Mul', [weight, maxScore]);
  }

  // Map: bilinear (half-pixel) to the input size, reflect-padded separable Gaussian as two fixed
  // depthwise Convs (1 channel), which is what anomalib's GaussianBlur2d computes.
  const map4 = app.op('Reshape', [patch, app.int64Init([-1, 1, grid.h, grid.w])]);
  const batchDims = app.slice(app.op('Shape', [map4]), [0], [2], [0]);
  const sizes = app.op('Concat', [batchDims, app.int64Init([spec.inputSize, spec.inputSize])], { axis: 0 });
  const up = app.op('Resize', [map4, '', '', sizes], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  const kern = gaussianKernel1d(head.blurSigma);
  const r = (kern.length - 1) / 2;
  const padded = app.op('Pad', [up, app.int64Init([0, 0, r, r, 0, 0, r, r])], { mode: 'reflect' });
  const kv = app.floatInit(kern, [1, 1, kern.length, 1], 'blur_v');
  const kh = app.floatInit(kern, [1, 1, 1, kern.length], 'blur_h');
  const blurredV = app.op('Conv', [padded, kv], { kernel_shape: [kern.length, 1] });
  app.opNamed('anomaly_map', 'Conv', [blurredV, kh], { kernel_shape: [1, kern.length] });

  const outputs = [
    valueInfo('anomaly_map', TENSOR_DATA_TYPE.float32, ['N', 1, spec.inputSize, spec.inputSize]),
    valueInfo('pred_score', TENSOR_DATA_TYPE.float32, ['N']),
  ];
  return { model: withAppended(backbone, app, outputs), chunks: bank.chunks.length };
}

/** Feature extractor + chunked NN search: the in-memory scorer's ORT part (post-processing is in JS). */
export function buildNearestModel(
  backbone: ModelProto,
  spec: FeatureGraphSpec,
  bank: Float32Array,
  dim: number,
  chunkSize: number,
): ModelProto {
  const app = new GraphAppender('patchcore', defaultOpset(backbone));
  const grid = featureGrid(spec);
  const hw = grid.h * grid.w;
  const feats = appendFeatures(app, spec, grid);
  app.opNamed('features', 'Identity', [feats]);
  const flat = app.op('Reshape', [feats, app.int64Init([-1, dim])]);
  const nn = appendChunkedNearest(app, flat, addBankChunks(app, bank, dim, chunkSize));
  app.opNamed('nn_d2', 'Reshape', [nn.d2, app.int64Init([-1, hw])]);
  app.opNamed('nn_index', 'Reshape', [nn.index, app.int64Init([-1, hw])]);
  return withAppended(backbone, app, [
    valueInfo('features', TENSOR_DATA_TYPE.float32, ['N', hw, dim]),
    valueInfo('nn_d2', TENSOR_DATA_TYPE.float32, ['N', hw]),
    valueInfo('nn_index', TENSOR_DATA_TYPE.int64, ['N', hw]),
  ]);
}
