// DFR as a registered anomaly method (src/main/methods/types.ts).
import { ownNetworks, trainedJobData, trainsOnEngine } from '../common/trained-method';
import type { AnomalyMethod } from '../types';
import { startDfrFit, DFR_FIT_WORKER_ENTRY } from './fit-job';
import { DEFAULT_DFR_CONFIG, resolveDfrConfig, type DfrConfig, type DfrPresetName } from './types';

/** Stored training rows (rows × 816 MobileNetV2 channels × 4 bytes): the fit's largest array. */
function rowBytes(preset: DfrPresetName, images: number): number {
  const c = resolveDfrConfig(preset);
  const perImage = Math.min(c.rowsPerImage, c.gridSize ** 2);
  return Math.min(perImage * images, c.maxRows) * 816 * 4;
}

export const dfrMethod: AnomalyMethod = {
  id: 'dfr',
  label: 'DFR',
  description:
    'Deep feature reconstruction: a small auto-encoder learns the features of good parts; a part is as anomalous as its worst-reconstructed region. Trains for minutes on a CPU.',
  needs: { pretrainedBackbone: true, gradientTraining: true },
  pixelMap: true,
  resumable: true,
  centerCrop: false,
  backbones: [DEFAULT_DFR_CONFIG.backbone],
  presets: [
    {
      id: 'fast',
      label: 'Fast',
      description:
        '12 epochs over sampled feature locations: about a minute for 100 images here, ~165 ms per part.',
      backbone: 'mobilenet_v2',
      wizard: true,
      // Measured: 120 images in 116–127 s on the 2-core development CPU (docs/benchmarks.md).
      prior: { perImageMs: 1000, fixedMs: 5000, scoreMs: 170 },
      memoryBytes: (n) => rowBytes('fast', n),
    },
    {
      id: 'accurate',
      label: 'Accurate',
      description: "The authors' schedule: every location, Adam 1e-4 for 150 epochs.",
      backbone: 'mobilenet_v2',
      wizard: false,
      memoryBytes: (n) => rowBytes('accurate', n),
    },
  ],
  defaultPreset: 'fast',
  testConfig: { epochs: 2, rowsPerImage: 64, batchRows: 128, lr: 1e-3 } satisfies Partial<DfrConfig>,
  workerEntry: DFR_FIT_WORKER_ENTRY,
  availability: trainsOnEngine,
  // DFR converts its own MobileNetV2 taps under <cacheDir>/backbones.
  resolveBackbone: ownNetworks,
  fit: (req, onProgress) =>
    startDfrFit(
      { ...trainedJobData<DfrPresetName, DfrConfig>(req), backbone: req.backbone ?? undefined },
      onProgress,
    ),
};
