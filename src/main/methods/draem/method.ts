// DRAEM as a registered anomaly method (src/main/methods/types.ts).
import { ownNetworks, trainedJobData, trainsOnEngine } from '../common/trained-method';
import type { AnomalyMethod } from '../types';
import { startDraemFit, DRAEM_FIT_WORKER_ENTRY } from './fit-job';
import { resolveDraemConfig, type DraemConfig, type DraemPresetName } from './types';

/**
 * The fit's largest arrays: every training image held as input-sized RGB floats, plus the
 * activations of one batch through both sub-networks (≈ 40 feature maps of base width at full size).
 */
function fitBytes(preset: DraemPresetName, images: number): number {
  const c = resolveDraemConfig(preset);
  const px = c.inputSize * c.inputSize;
  return images * px * 3 * 4 + c.batch * px * (c.recBase + c.discBase) * 40 * 4;
}

export const draemMethod: AnomalyMethod = {
  id: 'draem',
  label: 'DRAEM',
  description:
    'Learns to repair and then to outline simulated defects (procedural textures painted onto good parts); a part is as anomalous as its strongest outlined region. Needs no pretrained network; trains for minutes on a CPU.',
  needs: { pretrainedBackbone: false, gradientTraining: true },
  pixelMap: true,
  resumable: true,
  centerCrop: false,
  textureFolder: true,
  backbones: ['none'],
  presets: [
    {
      id: 'station',
      label: 'Station',
      description:
        'Narrow networks at 64 px and a fixed budget of 4 800 simulated samples, so training takes about the same time whatever the image count (≈ 7 min on a quiet 2-core CPU). Coarser than the paper: defects smaller than ~1/64 of the frame are easily missed; on our test sets it scored 75 % (magnetic tile) and 57 % (PCB) image AUROC. Its cost against a longer run is not measured yet.',
      backbone: 'none',
      wizard: true,
      // The AUROCs in the description: `npm run station -- eval --data ../shared/data/<category>
      // --method draem --train-limit 200 --out DIR` (74.7 and 57.0, docs/benchmarks.md "DRAEM").
      // Fixed sample budget: the time hardly depends on the image count. 600 steps × (606 ms +
      // 8 × 7.9 ms simulation) + 7 s graph build at load ≈ 5 (`npx tsx
      // src/main/methods/draem/bench.ts steps station 8 8`, same section) ≈ 7 min.
      prior: { perImageMs: 0, fixedMs: 410_000, scoreMs: 40 },
      memoryBytes: (n) => fitBytes('station', n),
    },
    {
      id: 'paper',
      label: 'Paper (GPU)',
      description:
        "The authors' widths (128/64), 256 px and 700 epochs: days on a CPU, meant for a station with a GPU.",
      backbone: 'none',
      wizard: true,
      // Not measurable on this CPU (graph build + two batch-1 steps did not finish in 15 min,
      // docs/benchmarks.md "DRAEM"): at least 700 epochs × 15 min per image, shown as days.
      prior: { perImageMs: 700 * 900_000, fixedMs: 60_000, scoreMs: 2000 },
      memoryBytes: (n) => fitBytes('paper', n),
    },
  ],
  defaultPreset: 'station',
  testConfig: {
    trainSamples: 640,
    inputSize: 64,
    recBase: 8,
    discBase: 8,
    batch: 4,
  } satisfies Partial<DraemConfig>,
  workerEntry: DRAEM_FIT_WORKER_ENTRY,
  availability: trainsOnEngine,
  resolveBackbone: ownNetworks,
  fit: (req, onProgress) => startDraemFit(trainedJobData<DraemPresetName, DraemConfig>(req), onProgress),
};
