// Two-pair STPM as a registered anomaly method (src/main/methods/types.ts).
import { ownNetworks, trainedJobData, trainsOnEngine } from '../common/trained-method';
import type { AnomalyMethod } from '../types';
import { teacherOf } from '../stpm/method';
import { resolveStpmConfig, type StpmConfig } from '../stpm/types';
import { startStpm2Fit, STPM2_FIT_WORKER_ENTRY } from './fit-job';
import { resolveStpm2Config, type Stpm2Config, type Stpm2PresetName } from './types';

/**
 * Held in memory during the larger (second) pair's fit: each image's input, its clean RGB bytes
 * and InceptionV3's three taps (at 256 px: 192·62² + 288·29² + 768·14² floats ≈ 5.3 MB), plus the
 * first pair's finished weights (small).
 */
function featureBytes(preset: Stpm2PresetName, images: number): number {
  const s = resolveStpmConfig(preset, resolveStpm2Config(preset).pair2).inputSize;
  const tap = (stride: number) => Math.floor(s / stride - 2) ** 2;
  const perImage = 4 * (3 * s * s + 192 * tap(4) + 288 * tap(8) + 768 * tap(16)) + 3 * s * s;
  return perImage * images;
}

const tiny: Partial<StpmConfig> = { epochs: 3, batchSize: 4, featureBatch: 4, lr: 0.4 };

export const stpm2Method: AnomalyMethod = {
  id: 'stpm2',
  label: 'Two-pair STPM',
  description:
    'Two student–teacher pairs: STPM on MobileNetV2, plus an InceptionV3 pair whose student learns to repair synthetic defects (attention on each level); their maps are averaged. About twice STPM’s training time, or more.',
  needs: { pretrainedBackbone: true, gradientTraining: true },
  pixelMap: true,
  resumable: true,
  centerCrop: false,
  backbones: ['mobilenet_v2', 'inception_v3'],
  presets: [
    {
      id: 'station',
      label: 'Station',
      description:
        'Each pair on STPM\'s station schedule (8 epochs, batch 8) for a 2-core CPU; see docs/benchmarks.md "Two-pair STPM".',
      backbone: 'mobilenet_v2',
      wizard: true,
      // docs/benchmarks.md "Two-pair STPM": the default station fit of 40 magnetic_tile images took
      // 358 s at load 7.2 (≈ 9 s per image, pair 2 ≈ 85 % of it; `npx tsx
      // src/main/methods/stpm2/bench.ts ../shared/data/magnetic_tile 40 80 station`); scoring runs
      // both networks.
      prior: { perImageMs: 9000, fixedMs: 10000, scoreMs: 600 },
      memoryBytes: (n) => featureBytes('station', n),
    },
    {
      id: 'paper',
      label: 'Paper',
      description:
        'Each pair on the authors’ STPM schedule: SGD lr 0.4, batch 32, 100 epochs at 256 px (for a GPU).',
      backbone: 'mobilenet_v2',
      wizard: false,
      memoryBytes: (n) => featureBytes('paper', n),
    },
  ],
  defaultPreset: 'station',
  testConfig: { pair1: tiny, pair2: tiny } satisfies Partial<Stpm2Config>,
  workerEntry: STPM2_FIT_WORKER_ENTRY,
  availability: trainsOnEngine,
  // Both teachers are converted from the bundled networks under <cacheDir>/backbones.
  resolveBackbone: ownNetworks,
  fit(req, onProgress) {
    const data = trainedJobData<Stpm2PresetName, Stpm2Config>(req);
    const config = { ...data.config };
    const crop = req.backbone?.preprocess.crop;
    if (crop) {
      // A supplied teacher serves both pairs at its own input size.
      config.pair1 = { inputSize: crop, ...config.pair1 };
      config.pair2 = { inputSize: crop, ...config.pair2 };
    }
    return startStpm2Fit(
      { ...data, config, teacher: req.backbone ? teacherOf(req.backbone) : undefined },
      onProgress,
    );
  },
};
