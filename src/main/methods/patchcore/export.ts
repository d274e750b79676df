// Model package export: one self-contained model.onnx (backbone, aggregation, bank, chunked NN
// search, reweighting, map) and model.json (src/main/models/schema.ts).
import { parseModel, serializeModel } from '../../onnx/serialize';
import type { ModelJson } from '../../models/schema';
import {
  buildModelJson as buildPackageJson,
  isUnitRange,
  writePackage,
  type ExportOptions as PackageExportOptions,
} from '../common';
import { buildScoringModel } from './graph';
import { featureSpecOf } from './scorer';
import { PATCHCORE_VERSION, type FittedPatchCore } from './types';

// PatchCore packages record the preset they were fitted with (FittedPatchCore.preset); older
// packages name it only through their parameters (patchcoreMethod.presetOf).
export interface ExportOptions extends Omit<PackageExportOptions, 'preset'> {
  /** Bank rows per NN chunk (defaults to the fit config's). */
  chunkSize?: number;
}

export function buildPackageGraph(
  model: FittedPatchCore,
  chunkSize = model.config.chunkSize,
): { bytes: Uint8Array; chunks: number } {
  const { model: graph, chunks } = buildScoringModel(parseModel(model.backboneBytes), featureSpecOf(model), {
    bank: model.bank,
    dim: model.dim,
    chunkSize,
    numNeighbors: model.config.numNeighbors,
    blurSigma: model.config.blurSigma,
  });
  return { bytes: serializeModel(graph), chunks };
}

/** How this station's PatchCore differs from the published recipe (docs/methods.md "PatchCore"). */
export function patchcoreDeviations(model: FittedPatchCore): string[] {
  const p = model.backbone.preprocess;
  const cfg = model.config;
  const out = [
    `backbone ${model.backbone.id} (taps ${model.backbone.taps.map((t) => t.name).join(', ')}) instead of WideResNet-50 layer2 + layer3`,
    p.resize === 0
      ? `whole frame resized to ${p.crop}×${p.crop} (no resize 256 + centre crop 224)`
      : `resize ${p.resize} + centre crop ${p.crop} (paper: 256 + 224)`,
    'features kept at full tap width and concatenated (no adaptive mean pooling to 1024-d)',
  ];
  if (isUnitRange(p)) out.push('input in [0, 1] without ImageNet mean/std (what the bundled weights expect)');
  const r = model.reductionInfo;
  if (r?.kind === 'pca')
    out.push(
      `features projected onto their ${r.dim} principal axes (${pct(r.explained)} of the variance of ${r.samplePatches} training patches) before the bank`,
    );
  else if (r)
    out.push(`features projected to ${r.dim} dimensions by a fixed seeded Gaussian map before the bank`);
  const rows = model.bank.length / model.dim;
  if (cfg.bankBudget > 0) {
    out.push(
      `bank sized by a scoring budget: ${rows} rows (${pct(rows / model.patchCount)} of ${model.patchCount} patches; paper: 10 %)`,
    );
  } else if (cfg.coresetRatio !== 0.1) {
    out.push(`coreset ratio ${cfg.coresetRatio}: ${rows} rows (paper: 0.1)`);
  }
  out.push('coreset greedy selection on PCA-rotated 128-d projections (same distances, early exit)');
  out.push('score normalisation: min/max of held-out good images');
  return out;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`;
}

export function buildModelJson(
  model: FittedPatchCore,
  opts: ExportOptions & { chunks: number; chunkSize: number },
): ModelJson {
  const p = model.backbone.preprocess;
  const cfg = model.config;
  return buildPackageJson(
    {
      method: 'patchcore',
      version: PATCHCORE_VERSION,
      backbone: { id: model.backbone.id, taps: model.backbone.taps },
      input: {
        name: model.backbone.inputName,
        layout: 'NCHW',
        width: p.crop,
        height: p.crop,
        resize: p.resize,
        mean: p.mean,
        std: p.std,
        channelOrder: p.channelOrder,
      },
      params: {
        ...(model.preset ? { preset: model.preset } : {}),
        // What decided the bank: a scoring budget (rows = budget / dim, at most 10 % of the
        // patches) or the coreset ratio; bankSize is what was kept.
        bankRule: cfg.bankBudget > 0 ? 'budget' : 'ratio',
        ...(cfg.bankBudget > 0 ? { bankBudget: cfg.bankBudget } : {}),
        coresetRatio:
          cfg.bankBudget > 0 ? model.bank.length / model.dim / model.patchCount : cfg.coresetRatio,
        coresetProjectionDim: cfg.coresetProjectionDim,
        coresetStartPoints: cfg.coresetStartPoints,
        bankSize: model.bank.length / model.dim,
        featureDim: model.dim,
        reduction: model.reductionInfo,
        aggregation: { kernel: 3, stride: 1, pad: 1, countIncludePad: true, upsample: 'bilinear-half-pixel' },
        numNeighbors: cfg.numNeighbors,
        blurSigma: cfg.blurSigma,
        nnChunkSize: opts.chunkSize,
        nnChunks: opts.chunks,
        seed: cfg.seed,
        patchCount: model.patchCount,
      },
      deviations: patchcoreDeviations(model),
      calibration: model.calibration,
      fingerprint: model.fingerprint,
      trainImageCount: model.trainImageCount,
      metrics: { fitTimingsMs: model.timings },
    },
    opts,
  );
}

/** Writes `dir`/model.onnx and `dir`/model.json (each via a temp file + rename, so readers never see half a file). */
export async function exportPatchCore(
  model: FittedPatchCore,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; chunks: number; bytes: number }> {
  const chunkSize = opts.chunkSize ?? model.config.chunkSize;
  const { bytes, chunks } = buildPackageGraph(model, chunkSize);
  const written = await writePackage(dir, bytes, buildModelJson(model, { ...opts, chunks, chunkSize }));
  return { ...written, chunks };
}
