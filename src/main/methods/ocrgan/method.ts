// OCR-GAN as a registered anomaly method (src/main/methods/types.ts): image-level, no pixel map.
import { ownNetworks, trainedJobData, trainsOnEngine } from '../common/trained-method';
import type { AnomalyMethod } from '../types';
import { startOcrganFit, OCRGAN_FIT_WORKER_ENTRY } from './fit-job';
import { countParams } from './graph';
import { resolveOcrganConfig, type OcrganConfig, type OcrganPresetName } from './types';

const paramCounts = new Map<OcrganPresetName, number>();

/** Parameters of G and D together (the paper preset: 122.7 M; station: 0.70 M; command in docs/methods.md "OCR-GAN"). */
function paramCount(preset: OcrganPresetName): number {
  let n = paramCounts.get(preset);
  if (n === undefined) {
    n = countParams(resolveOcrganConfig(preset));
    paramCounts.set(preset, n);
  }
  return n;
}

/**
 * Decoded training images (3·S² floats each), the validation set (good + synthetic, 2× each), and
 * the parameters four times over (weights, two Adam moments, gradients); activations come on top.
 */
function fitBytes(preset: OcrganPresetName, images: number): number {
  const c = resolveOcrganConfig(preset);
  const val = Math.min(c.maxValidationImages, Math.round(images * c.validationFraction));
  return (images + 2 * val) * 3 * c.inputSize ** 2 * 4 + paramCount(preset) * 4 * 4;
}

export const ocrganMethod: AnomalyMethod = {
  id: 'ocrgan',
  label: 'OCR-GAN',
  description:
    'Omni-frequency reconstruction GAN: a two-branch generator rebuilds the low- and high-frequency parts of good parts; a part is as anomalous as its reconstruction is poor. Image-level: no heatmap.',
  needs: { pretrainedBackbone: false, gradientTraining: true },
  pixelMap: false,
  resumable: true,
  centerCrop: false,
  backbones: ['none'],
  presets: [
    {
      id: 'station',
      label: 'Station',
      description: '64 px, 4 levels, 16…64 channels, 60 epochs: minutes on a CPU for 200 images.',
      backbone: 'none (trained from scratch)',
      wizard: true,
      // Measured: 200 magnetic_tile images in 468 s at load ≈ 9 on the shared 2-core CPU
      // (`npm run station -- eval --data ../shared/data/magnetic_tile --method ocrgan --train-limit
      // 200 --out DIR`, docs/benchmarks.md "OCR-GAN"); scoreMs is not measured there (a 64-px,
      // 0.7 M-parameter graph).
      prior: { perImageMs: 2300, fixedMs: 5000, scoreMs: 6 },
      memoryBytes: (n) => fitBytes('station', n),
    },
    {
      id: 'paper',
      label: 'Paper',
      description:
        "The authors' network: 256 px, 8 down-samplings, 64…512 channels, batch 32, 200 epochs (a GPU).",
      backbone: 'none (trained from scratch)',
      wizard: false,
      note: 'for a GPU: hours on a CPU',
      memoryBytes: (n) => fitBytes('paper', n),
    },
  ],
  defaultPreset: 'station',
  testConfig: {
    inputSize: 32,
    levels: 3,
    baseChannels: 8,
    maxChannels: 16,
    featureDim: 8,
    batchSize: 5,
    epochs: 8,
  } satisfies Partial<OcrganConfig>,
  workerEntry: OCRGAN_FIT_WORKER_ENTRY,
  availability: trainsOnEngine,
  resolveBackbone: ownNetworks,
  fit: (req, onProgress) => startOcrganFit(trainedJobData<OcrganPresetName, OcrganConfig>(req), onProgress),
};
