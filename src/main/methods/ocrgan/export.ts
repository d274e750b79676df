// OCR-GAN model package: model.onnx (decoupling + generator + discriminator features → pred_score,
// no anomaly map) and model.json declaring `outputs.map: null` (image-level method).
import type { ModelJson } from '../../models/schema';
import { buildModelJson, nchwInput, writePackage, type ExportOptions } from '../common';
import { ocrganPreprocess } from './fit';
import { levelChannels } from './graph';
import { DEFAULT_OCRGAN_CONFIG, OCRGAN_VERSION, type FittedOcrgan } from './types';

/** How this station's OCR-GAN differs from the published recipe (docs/methods.md "OCR-GAN"). */
export function ocrganDeviations(m: FittedOcrgan): string[] {
  const c = m.config;
  const p = DEFAULT_OCRGAN_CONFIG;
  const out = [
    'channel-selection block learned with the generator (the authors rebuild it with random weights at every call)',
    'pyramid down-sampling reflect-padded; up-sampling zero-padded (OpenCV reflects both)',
    'low and high parts brought to [−1, 1] by a fixed scale (high halved) instead of a per-image min–max, which let a high-contrast defect shrink its own residual',
    'discriminator head trained as BCE on logits (same optimum as sigmoid + BCE, no overflow)',
    `best epoch chosen by image AUROC on ${m.validationImageCount} held-out good images plus one synthetic anomaly of each (the authors report the best test epoch)`,
    'score normalisation: min/max of held-out good images',
  ];
  if (
    c.inputSize !== p.inputSize ||
    c.levels !== p.levels ||
    c.baseChannels !== p.baseChannels ||
    c.maxChannels !== p.maxChannels
  )
    out.push(
      `${c.inputSize} px, ${c.levels} down-samplings, ${levelChannels(c).join('/')} channels (paper: 256 px, 8, 64…512)`,
    );
  if (c.featureDim !== p.featureDim) out.push(`discriminator feature ${c.featureDim}-d (paper: 100)`);
  if (c.epochs !== p.epochs || c.batchSize !== p.batchSize)
    out.push(`${c.epochs} epochs of batch ${c.batchSize} (paper: 200 of batch 32)`);
  if (m.collapse) out.push(`training stopped early, adversarial game collapsed: ${m.collapse}`);
  return out;
}

export function buildOcrganModelJson(m: FittedOcrgan, opts: ExportOptions = {}): ModelJson {
  const c = m.config;
  return buildModelJson(
    {
      method: 'ocrgan',
      version: OCRGAN_VERSION,
      backbone: { id: 'none', taps: [] },
      input: nchwInput(c.inputSize, ocrganPreprocess(c)),
      pixelMap: false,
      params: {
        preset: opts.preset ?? null,
        levels: c.levels,
        channels: levelChannels(c),
        featureDim: c.featureDim,
        csReduction: c.csReduction,
        optimizer: {
          kind: 'adam',
          lr: c.lr,
          betas: [c.beta1, c.beta2],
          epochs: c.epochs,
          batch: c.batchSize,
        },
        lossWeights: { adversarial: c.wAdv, l1: c.wRec, featureMatching: c.wFeat },
        cutPasteArea: c.cutPasteArea,
        seed: c.seed,
        score: `${c.scoreRecWeight}·MSE(real, fake) + ${(1 - c.scoreRecWeight).toFixed(2)}·MSE(discriminator features)`,
      },
      deviations: ocrganDeviations(m),
      calibration: m.calibration,
      fingerprint: m.fingerprint,
      trainImageCount: m.trainImageCount,
      metrics: {
        bestEpoch: m.bestEpoch,
        bestValidationAuroc: m.bestValAuroc,
        collapse: m.collapse,
        epochs: m.epochs,
        provider: m.provider,
        fitTimingsMs: m.timings,
      },
    },
    opts,
  );
}

export async function exportOcrgan(
  m: FittedOcrgan,
  dir: string,
  opts: ExportOptions = {},
): Promise<{ dir: string; json: ModelJson; bytes: number }> {
  return writePackage(dir, m.modelBytes, buildOcrganModelJson(m, opts));
}
