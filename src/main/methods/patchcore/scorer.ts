// In-memory scorer of a fitted PatchCore: ONNX Runtime runs backbone + features + chunked NN
// search; reweighting, upsampling and blur run here in typed arrays. Used right after fit
// (calibration, evaluation) without writing a package; the exported graph must agree with it.
import { parseModel, serializeModel } from '../../onnx/serialize';
import { createSession, float32Tensor, type ort, type SessionHandle } from '../../runtime';
import { preprocessBatch, type ImageInput } from '../../models/preprocess';
import { buildNearestModel, featureGrid, gaussianKernel1d, type FeatureGraphSpec } from './graph';
import { blurSeparableReflect, resizeBilinear, reweightFactor, rowSqNorms } from './postprocess';
import type { FittedPatchCore } from './types';

export interface PatchCoreScore {
  score: number;
  /** Patch scores on the feature grid (gridH × gridW). */
  patchScores: Float32Array;
  /** inputSize × inputSize anomaly map. */
  map: Float32Array;
  size: number;
}

export function featureSpecOf(
  model: Pick<FittedPatchCore, 'backbone' | 'reduction' | 'config'>,
): FeatureGraphSpec {
  const b = model.backbone;
  const rawDim = b.taps[0].channels + b.taps[1].channels;
  return {
    inputName: b.inputName,
    inputSize: b.preprocess.crop,
    taps: b.taps,
    projection: model.reduction
      ? { matrix: model.reduction, inDim: rawDim, outDim: model.config.reduceDim }
      : undefined,
  };
}

export class PatchCoreScorer {
  private readonly sq: Float64Array;
  private readonly kernel: Float32Array;

  private constructor(
    readonly model: FittedPatchCore,
    private readonly handle: SessionHandle,
    private readonly spec: FeatureGraphSpec,
  ) {
    this.sq = rowSqNorms(model.bank, model.dim);
    this.kernel = gaussianKernel1d(model.config.blurSigma);
  }

  static async create(
    model: FittedPatchCore,
    opts: { intraOpNumThreads?: number } = {},
  ): Promise<PatchCoreScorer> {
    const spec = featureSpecOf(model);
    const graph = buildNearestModel(
      parseModel(model.backboneBytes),
      spec,
      model.bank,
      model.dim,
      model.config.chunkSize,
    );
    const handle = await createSession(serializeModel(graph), {
      providerOrder: ['cpu'],
      intraOpNumThreads: opts.intraOpNumThreads,
    });
    return new PatchCoreScorer(model, handle, spec);
  }

  async release(): Promise<void> {
    await this.handle.session.release();
  }

  /** Scores a normalised NCHW batch of `n` images. */
  async scoreTensor(input: Float32Array, n: number): Promise<PatchCoreScore[]> {
    const s = this.spec.inputSize;
    const feeds: Record<string, ort.Tensor> = { [this.spec.inputName]: float32Tensor(input, [n, 3, s, s]) };
    const out = await this.handle.session.run(feeds, ['features', 'nn_d2', 'nn_index']);
    const feats = out.features.data as Float32Array;
    const d2 = out.nn_d2.data as Float32Array;
    const idx = out.nn_index.data as BigInt64Array;
    const { h, w } = featureGrid(this.spec);
    const hw = h * w;
    const dim = this.model.dim;
    const results: PatchCoreScore[] = [];
    for (let i = 0; i < n; i++) {
      const patch = new Float32Array(hw);
      let worst = 0;
      for (let p = 0; p < hw; p++) {
        patch[p] = Math.sqrt(Math.max(d2[i * hw + p], 0));
        if (patch[p] > patch[worst]) worst = p;
      }
      const maxScore = patch[worst];
      const xStar = feats.subarray((i * hw + worst) * dim, (i * hw + worst + 1) * dim);
      const weight = reweightFactor(
        xStar,
        this.model.bank,
        dim,
        Number(idx[i * hw + worst]),
        this.model.config.numNeighbors,
        this.sq,
      );
      const map = blurSeparableReflect(resizeBilinear(patch, h, w, s, s), s, s, this.kernel);
      results.push({ score: weight * maxScore, patchScores: patch, map, size: s });
    }
    return results;
  }

  async scoreImages(
    images: ImageInput[],
    batchSize = this.model.config.batchSize,
  ): Promise<PatchCoreScore[]> {
    const out: PatchCoreScore[] = [];
    for (let i = 0; i < images.length; i += batchSize) {
      const batch = images.slice(i, i + batchSize);
      const x = await preprocessBatch(batch, this.model.backbone.preprocess);
      out.push(...(await this.scoreTensor(x, batch.length)));
    }
    return out;
  }
}
