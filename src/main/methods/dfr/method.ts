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
        '12 epochs over 512 sampled feature locations per image: 150 images fit in under a minute on an idle 2-core CPU, about 70 ms per part.',
      backbone: 'mobilenet_v2',
      wizard: true,
      // docs/benchmarks.md "Training engine and DFR": `npm run station -- eval --method dfr --data
      // ../shared/data/<category> --out DIR --train-limit 150` fitted in 36–40 s, 69–70 ms mean per
      // part (idle). The prior keeps the first table's 116–127 s (shared CPU, before the [0, 1]
      // input) so that it errs long until the station has timed its own.
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
