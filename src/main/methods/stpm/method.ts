// STPM as a registered anomaly method (src/main/methods/types.ts).
import { readFileSync } from 'node:fs';
import { ownNetworks, trainedJobData, trainsOnEngine } from '../common/trained-method';
import type { AnomalyMethod, BackboneSource } from '../types';
import type { CustomTeacher } from './fit';
import { startStpmFit, STPM_FIT_WORKER_ENTRY } from './fit-job';
import { DEFAULT_STPM_CONFIG, resolveStpmConfig, type StpmConfig, type StpmPresetName } from './types';

/**
 * Held in memory during the fit: each image's preprocessed input plus the teacher's three taps
 * (MobileNetV2 at 256 px: 3·256² + 24·64² + 32·32² + 64·16² floats ≈ 1.4 MB).
 */
function featureBytes(preset: StpmPresetName, images: number): number {
  const s = resolveStpmConfig(preset).inputSize;
  const perImage = 3 * s * s + 24 * (s / 4) ** 2 + 32 * (s / 8) ** 2 + 64 * (s / 16) ** 2;
  return perImage * 4 * images;
}

/** A supplied backbone (the conformance test's tiny one) as STPM's teacher, on its own taps. */
export function teacherOf(b: BackboneSource): CustomTeacher {
  return {
    id: b.id,
    model: typeof b.model === 'string' ? readFileSync(b.model) : b.model,
    taps: b.taps.map((t) => ({ name: t.name, stride: t.stride })),
    preprocess: { mean: b.preprocess.mean, std: b.preprocess.std },
  };
}

export const stpmMethod: AnomalyMethod = {
  id: 'stpm',
  label: 'STPM',
  description:
    'Student–teacher feature matching: a student network trained on good parts imitates a pretrained teacher; a part is as anomalous as where they disagree. Trains for minutes to tens of minutes on a CPU.',
  needs: { pretrainedBackbone: true, gradientTraining: true },
  pixelMap: true,
  resumable: true,
  centerCrop: false,
  backbones: [DEFAULT_STPM_CONFIG.backbone],
  presets: [
    {
      id: 'station',
      label: 'Station',
      description:
        'A short SGD schedule (8 epochs, batch 8) sized for a 2-core CPU: trains less than the paper; see docs/benchmarks.md "STPM".',
      backbone: 'mobilenet_v2',
      wizard: true,
      // docs/benchmarks.md "STPM": one batch-8 step took 2.5 s at load 4.8 (a throwaway script, not
      // re-runnable), i.e. 8 epochs ≈ 2.5 s per training image. The full fit measured by command
      // (`npx tsx src/main/methods/stpm/bench.ts ../shared/data/magnetic_tile 200 200 station
      // '{"epochs":8}'`, load 11–21) calibrated 40 images in 8 s (≈ 200 ms each); fixedMs is a guess.
      prior: { perImageMs: 2500, fixedMs: 10000, scoreMs: 200 },
      memoryBytes: (n) => featureBytes('station', n),
    },
    {
      id: 'paper',
      label: 'Paper',
      description: "The authors' schedule: SGD lr 0.4, batch 32, 100 epochs at 256 px (for a GPU).",
      backbone: 'mobilenet_v2',
      wizard: false,
      memoryBytes: (n) => featureBytes('paper', n),
    },
  ],
  defaultPreset: 'station',
  testConfig: { epochs: 3, batchSize: 4, featureBatch: 4, lr: 0.4 } satisfies Partial<StpmConfig>,
  workerEntry: STPM_FIT_WORKER_ENTRY,
  availability: trainsOnEngine,
  // STPM converts its own MobileNetV2 teacher under <cacheDir>/backbones.
  resolveBackbone: ownNetworks,
  fit(req, onProgress) {
    const data = trainedJobData<StpmPresetName, StpmConfig>(req);
    const config = { ...data.config };
    // A supplied teacher runs at its own input size.
    const crop = req.backbone?.preprocess.crop;
    if (crop) config.inputSize ??= crop;
    return startStpmFit(
      { ...data, config, teacher: req.backbone ? teacherOf(req.backbone) : undefined },
      onProgress,
    );
  },
};
