// DFR model package: model.onnx (backbone + regional features + autoencoder + map + score, one
// graph) and model.json in the shared schema (src/main/models/schema.ts); method-specific
// settings go under `params`.
import type { ModelJson } from '../../models/schema';
import { buildModelJson, isUnitRange, nchwInput, writePackage, type ExportOptions } from '../common';
import { aeWidths } from './graph';
import { DFR_VERSION, type FittedDfr } from './types';

/** How this station's DFR differs from the published recipe (docs/methods.md "DFR"). */
export function dfrDeviations(m: FittedDfr): string[] {
  const c = m.config;
  const out = [
    `backbone ${m.backboneId} (taps ${m.taps.map((t) => t.name).join(', ')}; ${m.channels} channels) instead of VGG19's 12 relu taps (3456 channels)`,
    m.preprocess.resize === 0
      ? `whole frame resized to ${c.inputSize}×${c.inputSize}`
      : `resize ${m.preprocess.resize} + centre crop ${c.inputSize}`,
    ...(isUnitRange(m.preprocess)
      ? ['input in [0, 1] without ImageNet mean/std (what the bundled weights expect)']
      : []),
    'regional features computed as one upsample-and-pool matrix per tap and axis (same arithmetic, no 256×256 maps)',
    'score normalisation: min/max of held-out good images',
  ];
  if (c.rowsPerImage < c.gridSize * c.gridSize)
    out.push(`trained on ${c.rowsPerImage} sampled locations per image (authors: every location)`);
  if (c.epochs !== 150 || c.lr !== 1e-4)
    out.push(`Adam lr ${c.lr} for ${c.epochs} epochs (authors: lr 1e-4, 150 epochs)`);
  if (c.latentDim) out.push(`latent size fixed at ${c.latentDim} (authors: PCA, 90 % of the variance)`);
  return out;
}

export function buildDfrModelJson(m: FittedDfr, opts: ExportOptions = {}): ModelJson {
  const c = m.config;
  return buildModelJson(
    {
      method: 'dfr',
      version: DFR_VERSION,
      backbone: { id: m.backboneId, taps: m.taps },
      input: nchwInput(c.inputSize, m.preprocess),
      params: {
        preset: opts.preset ?? null,
        gridSize: c.gridSize,
        regional:
          'bilinear half-pixel upsampling of each tap to the input size + 4×4 mean pool, applied as one matrix per axis',
        channels: m.channels,
        latentDim: m.latentDim,
        varianceKept: c.latentDim ? null : c.varianceKept,
        explainedVariance: Number.isFinite(m.explainedVariance) ? m.explainedVariance : null,
        autoencoder: { widths: aeWidths(m.channels, m.latentDim), norm: 'batchnorm', activation: 'relu' },
        optimizer: { kind: 'adam', lr: c.lr, epochs: c.epochs, batchRows: c.batchRows },
        rowsPerImage: Math.floor(m.trainRows / Math.max(1, m.trainImageCount)),
        trainRows: m.trainRows,
        seed: c.seed,
        map: 'per-location squared error, mean over channels, bilinear upsampling to the input',
        score: 'max of the map',
      },
      deviations: dfrDeviations(m),
      calibration: m.calibration,
      fingerprint: m.fingerprint,
      trainImageCount: m.trainImageCount,
      metrics: {
        finalLoss: m.epochLosses.at(-1) ?? null,
        epochLosses: m.epochLosses,
        fitTimingsMs: m.timings,
      },
    },
    opts,
  );
}

/** Writes `dir`/model.onnx and `dir`/model.json, each through a temp file + rename. */
export async function exportDfr(
  m: FittedDfr,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writePackage(dir, m.modelBytes, buildDfrModelJson(m, opts));
}
