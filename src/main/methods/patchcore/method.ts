// PatchCore as a registered anomaly method (src/main/methods/types.ts): what the wizard, the CLI,
// the build and the model store know about it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startWorkerJob } from '../../jobs/worker-job';
import type { AnomalyMethod, MethodProgress } from '../types';
import {
  BACKBONE_DEFAULTS,
  PRESET_INPUT_SIZE,
  patchcoreBackbone,
  type PatchCoreBackboneId,
} from './backbone';
import { benchRowsToMarkdown, runPatchCoreBench } from './bench';
import { FIT_WORKER_ENTRY, type FitJobData, type FitJobResult } from './fit-job';
import { DEFAULT_CONFIG, resolveConfig, type PatchCoreConfig, type PresetName } from './types';
import { PCA_SAMPLE_PATCHES } from './reduction';

/**
 * Largest arrays of a fit: the coreset projection of every patch (N·HW·128·4 bytes) plus the full
 * features while they fit the feature budget (beyond it a second extraction pass gathers the bank).
 */
function fitArrayBytes(preset: PresetName, images: number): number {
  const cfg = resolveConfig(preset);
  const size = PRESET_INPUT_SIZE[preset]?.mobilenet_v2 ?? BACKBONE_DEFAULTS.mobilenet_v2.inputSize;
  const patches = images * (size / 8) ** 2;
  // MobileNetV2 block_6 (192 ch) + block_10 (384 ch) expand taps.
  const dim = cfg.reduceDim > 0 ? cfg.reduceDim : 576;
  const proj = patches * Math.min(dim, cfg.coresetProjectionDim) * 4;
  const full = dim > cfg.coresetProjectionDim ? Math.min(patches * dim * 4, cfg.featureBudgetBytes) : 0;
  // The principal axes are estimated first, from a sample of full-width features freed before the pass.
  const sample = cfg.reduceDim > 0 && cfg.reduceBasis === 'pca' ? PCA_SAMPLE_PATCHES * 576 * 4 : 0;
  return Math.max(sample, proj + full);
}

export const patchcoreMethod: AnomalyMethod = {
  id: 'patchcore',
  label: 'PatchCore',
  description:
    'Memory bank of features of good parts; a part is as anomalous as its least familiar patch. Learns in one pass, no GPU needed.',
  needs: { pretrainedBackbone: true, gradientTraining: false },
  pixelMap: true,
  resumable: false,
  centerCrop: true,
  backbones: Object.keys(BACKBONE_DEFAULTS),
  presets: [
    {
      id: 'fast',
      label: 'Fast',
      // docs/benchmarks.md "`npm run bench`" run 4: 200 deeppcb images fitted in 13.8 s, 23.4 ms
      // per part at batch 1 (idle 2-core CPU).
      description:
        'Memory bank sized from a scoring budget, features projected onto their 128 principal axes: fits 200 images in about 14 s, about 25 ms per part.',
      backbone: 'mobilenet_v2',
      wizard: true,
      // Above the measured fits (13.8 s for 200 images in docs/benchmarks.md "`npm run bench`" run 4)
      // until the station has timed its own.
      prior: { perImageMs: 80, fixedMs: 4000, scoreMs: 60 },
      memoryBytes: (n) => fitArrayBytes('fast', n),
    },
    {
      id: 'accurate',
      label: 'Accurate',
      description: "The paper's 10 % bank with all 576 dimensions: slower to fit and to score per part.",
      backbone: 'mobilenet_v2',
      wizard: true,
      // docs/benchmarks.md "PatchCore at the limit", run 3: 1 000 deeppcb images in 461.3 s on a
      // quiet 2-core CPU (`npm run -s station -- fit --data ../shared/data/deeppcb/train/good --out
      // DIR --preset accurate`), ≈ 460 ms per image; the prior stays above it until the station
      // has timed its own.
      prior: { perImageMs: 600, fixedMs: 6000, scoreMs: 400 },
      memoryBytes: (n) => fitArrayBytes('accurate', n),
    },
    {
      id: 'fine',
      label: 'Fine',
      description:
        'The fast head on a 448 px input, for defects of a few pixels; ~7× the fast preset’s fit time.',
      backbone: 'mobilenet_v2',
      wizard: false,
      note: 'larger input for defects of a few pixels',
      memoryBytes: (n) => fitArrayBytes('fine', n),
    },
  ],
  defaultPreset: 'fast',
  testConfig: {},
  workerEntry: FIT_WORKER_ENTRY,
  availability: () => ({ available: true, reason: 'Runs on this station (ONNX Runtime, CPU or GPU).' }),
  resolveBackbone: ({ preset, cacheDir, backboneId }) =>
    patchcoreBackbone((backboneId ?? 'mobilenet_v2') as PatchCoreBackboneId, {
      cacheDir,
      preset: preset as PresetName,
    }),
  fit(req, onProgress) {
    const backbone = req.backbone;
    if (!backbone) throw new Error('PatchCore needs a backbone (resolveBackbone).');
    return startWorkerJob<FitJobData, MethodProgress, FitJobResult>(
      FIT_WORKER_ENTRY,
      {
        images: req.images,
        calibrationImages: req.calibrationImages,
        backbone,
        preset: req.preset as PresetName,
        // Without held-out images given, min–max normalisation over the default 10 % (2–3 images
        // of a small set) is a range of noise that puts ordinary good parts above T1: a quarter.
        config: { calibrationFraction: 0.25, ...(req.config as Partial<PatchCoreConfig> | undefined) },
        preprocess: req.centerCrop
          ? { resize: Math.round((backbone.preprocess.crop * 256) / 224) }
          : undefined,
        outDir: req.outDir,
        // One thread beside the live loop, which keeps the other core.
        intraOpNumThreads: req.background ? 1 : undefined,
        export: req.metrics ? { metrics: req.metrics } : undefined,
      },
      onProgress,
    );
  },
  async bench({ cacheDir, dataRoot, log }) {
    const categories = ['magnetic_tile', 'deeppcb'].filter((c) => existsSync(resolve(dataRoot, c)));
    if (categories.length === 0) {
      return `### PatchCore\n\nSkipped: no evaluation data at ${dataRoot} (set STATION_EVAL_DATA).`;
    }
    const rows = await runPatchCoreBench({
      dataRoot,
      categories,
      backbones: ['mobilenet_v2', 'inception_v3'],
      presets: ['fast'],
      trainImages: 200,
      testImages: 200,
      cacheDir,
      log,
    });
    return `### PatchCore (fast preset, whole frame, 180 fitted + 20 calibration of 200 training images, 200-image test subsample)\n\n${benchRowsToMarkdown(rows)}`;
  },
  presetOf(json) {
    // Packages from before params.preset: infer it from the parameters. `fine` is the fast head
    // on a larger input, so the input size tells the two apart.
    const p = json.params as { coresetRatio?: unknown; reduction?: unknown; bankBudget?: unknown };
    const fineSize = PRESET_INPUT_SIZE.fine?.[json.backbone.id as PatchCoreBackboneId];
    if (p.reduction && (p.coresetRatio === 0.01 || typeof p.bankBudget === 'number'))
      return json.input.width === fineSize ? 'fine' : 'fast';
    if (p.coresetRatio === DEFAULT_CONFIG.coresetRatio && !p.reduction) return 'accurate';
    return 'custom';
  },
};
