// The methods the wizard offers, as data: each entry says whether it can run here, its presets
// and how to start a fit. A new method (DFR, once the training engine exists) is one more entry;
// the UI lists whatever this returns.
import { dirname, join } from 'node:path';
import type { MethodInfo, PresetInfo, TrainingEstimate } from '@shared/training';
import { FIT_WORKER_ENTRY, type FitJobData, type FitJobResult } from '../methods/patchcore/fit-job';
import { startWorkerJob } from '../jobs/worker-job';
import { startDfrFit } from '../methods/dfr/fit-job';
import type { DfrPresetName } from '../methods/dfr/types';
import { startDraemFit } from '../methods/draem/fit-job';
import type { DraemPresetName } from '../methods/draem/types';
import { patchcoreBackbone } from '../methods/patchcore/backbone';
import type { BackboneSource, FitProgress, PresetName } from '../methods/patchcore/types';
import type { SettingsStore } from '../storage/settings-store';

export interface FitStart {
  /** Good images to fit on (paths). */
  images: string[];
  /** Held-out good images: the package's score normalisation is set from them. */
  calibrationImages: string[];
  preset: string;
  outDir: string;
  cacheDir: string;
  onProgress: (p: { stage: string; done: number; total: number; etaMs: number | null }) => void;
}

export interface FitRun {
  result: Promise<void>;
  cancel(): void;
}

interface PresetSpec {
  id: string;
  label: string;
  description: string;
  backbone: string;
  /**
   * Prior cost before this station has measured its own: fit ms per good image, fixed ms (backbone,
   * worker start, export) and scoring ms per calibration image. From docs/benchmarks.md (2-core
   * CPU, MobileNetV2, 200 magnetic_tile images: fast 12.7–18.5 s, accurate 82.7–129.4 s).
   */
  prior: { perImageMs: number; fixedMs: number; scoreMs: number };
}

export interface WizardMethod {
  id: string;
  label: string;
  description: string;
  availability(): { available: boolean; reason: string };
  presets: PresetSpec[];
  /** `backbone` is null for methods that pick their own feature extractor (DFR). */
  start(args: FitStart, backbone: BackboneSource | null): FitRun;
  /** The backbone a preset fits on (tests substitute a tiny one); null when the method has none to choose. */
  backbone(preset: string, cacheDir: string): Promise<BackboneSource | null>;
}

const patchcore: WizardMethod = {
  id: 'patchcore',
  label: 'PatchCore',
  description:
    'Memory bank of features of good parts; a part is as anomalous as its least familiar patch. Learns in one pass, no GPU needed.',
  availability: () => ({ available: true, reason: 'Runs on this station (ONNX Runtime, CPU or GPU).' }),
  presets: [
    {
      id: 'fast',
      label: 'Fast',
      description: '1 % memory bank, features projected to 128 dimensions: fits in seconds, ~10 ms per part.',
      backbone: 'mobilenet_v2',
      prior: { perImageMs: 80, fixedMs: 4000, scoreMs: 60 },
    },
    {
      id: 'accurate',
      label: 'Accurate',
      description: "The paper's 10 % bank with all 576 dimensions: slower to fit and ~30× slower per part.",
      backbone: 'mobilenet_v2',
      prior: { perImageMs: 600, fixedMs: 6000, scoreMs: 400 },
    },
  ],
  start(args, backbone) {
    if (!backbone) throw new Error('PatchCore needs a backbone.');
    const handle = startWorkerJob<FitJobData, FitProgress, FitJobResult>(
      FIT_WORKER_ENTRY,
      {
        images: args.images,
        calibrationImages: args.calibrationImages,
        backbone,
        preset: args.preset as PresetName,
        outDir: args.outDir,
        // One thread: the live loop keeps the other core while a model trains.
        intraOpNumThreads: 1,
        export: { metrics: { wizard: { preset: args.preset } } },
      },
      (p) => args.onProgress(p),
    );
    return { result: handle.result.then(() => undefined), cancel: () => handle.cancel(2000) };
  },
  backbone: (_preset, cacheDir) => patchcoreBackbone('mobilenet_v2', { cacheDir }),
};

/**
 * startPatchCoreFit looks for out/main/patchcore-fit-worker.js next to the module that resolves
 * it, but the bundler puts that module in out/main/chunks/, so in the built app the worker is
 * never found (the demo line silently falls back to fitting on the main thread). Same entry,
 * named relative to the chunk folder when that is where this code runs; from source (tests)
 * neither file exists and the .ts source is used as before.
 */
/** DFR on the station's own training engine: an auto-encoder learns to reconstruct backbone features. */
const dfr: WizardMethod = {
  id: 'dfr',
  label: 'DFR',
  description:
    'Deep feature reconstruction: a small auto-encoder learns the features of good parts; a part is as anomalous as its worst-reconstructed region. Trains for minutes on a CPU.',
  availability: () => ({
    available: true,
    reason: "Trains on this station's engine (ONNX Runtime, CPU or GPU).",
  }),
  presets: [
    {
      id: 'fast',
      label: 'Fast',
      description:
        '12 epochs over sampled feature locations: about a minute for 100 images here, ~165 ms per part.',
      backbone: 'mobilenet_v2',
      // Measured: 120 images in 116–127 s on the 2-core development CPU (docs/benchmarks.md).
      prior: { perImageMs: 1000, fixedMs: 5000, scoreMs: 170 },
    },
  ],
  start(args) {
    const handle = startDfrFit(
      {
        images: args.images,
        calibrationImages: args.calibrationImages,
        preset: args.preset as DfrPresetName,
        // DFR converts its backbone under <cache>/backbones itself.
        cacheDir: dirname(args.cacheDir),
        outDir: args.outDir,
        export: { preset: args.preset as DfrPresetName },
      },
      (p) => args.onProgress(p),
    );
    return { result: handle.result.then(() => undefined), cancel: () => handle.cancel(2000) };
  },
  backbone: () => Promise.resolve(null),
};

/** DRAEM on the station's engine: learns from simulated defects painted onto good parts. */
const draem: WizardMethod = {
  id: 'draem',
  label: 'DRAEM',
  description:
    'Learns to repair and then to outline simulated defects (procedural textures painted onto good parts); a part is as anomalous as its strongest outlined region. Needs no pretrained network; trains for minutes on a CPU.',
  availability: () => ({
    available: true,
    reason: "Trains on this station's engine (ONNX Runtime, CPU or GPU).",
  }),
  presets: [
    {
      id: 'station',
      label: 'Station',
      description:
        'Narrow networks at 64 px and a fixed budget of 4 800 simulated samples, so training takes about the same time whatever the image count (≈ 7 min on a quiet 2-core CPU). Coarser than the paper: defects smaller than ~1/64 of the frame are easily missed; on our test sets it scored 75 % (magnetic tile) and 57 % (PCB) image AUROC. Its cost against a longer run is not measured yet.',
      backbone: 'none',
      // Fixed sample budget: the time hardly depends on the image count. 600 steps × (606 ms +
      // 8 × 7.9 ms simulation) + 7 s graph build at load ≈ 5 (docs/benchmarks.md "DRAEM").
      prior: { perImageMs: 0, fixedMs: 410_000, scoreMs: 40 },
    },
    {
      id: 'paper',
      label: 'Paper (GPU)',
      description:
        "The authors' widths (128/64), 256 px and 700 epochs: days on a CPU, meant for a station with a GPU.",
      backbone: 'none',
      // Not measurable on this CPU (graph build + two batch-1 steps did not finish in 15 min, docs/benchmarks.md
      // "DRAEM"): at least 700 epochs × 15 min per image, so the estimate is shown as days.
      prior: { perImageMs: 700 * 900_000, fixedMs: 60_000, scoreMs: 2000 },
    },
  ],
  start(args) {
    const handle = startDraemFit(
      {
        images: args.images,
        calibrationImages: args.calibrationImages,
        preset: args.preset as DraemPresetName,
        outDir: args.outDir,
      },
      (p) => args.onProgress(p),
    );
    return { result: handle.result.then(() => undefined), cancel: () => handle.cancel(2000) };
  },
  backbone: () => Promise.resolve(null),
};

export const WIZARD_METHODS: readonly WizardMethod[] = [patchcore, dfr, draem];

export function findMethod(id: string): WizardMethod | undefined {
  return WIZARD_METHODS.find((m) => m.id === id);
}

/** Per-station measured costs, updated after every completed fit (settings, internal key). */
interface Measured {
  perImageMs: number;
  fixedMs: number;
  scoreMs: number;
  samples: number;
}

const costKey = (method: string, preset: string): string => `internal.training.cost.${method}.${preset}`;

export class CostModel {
  constructor(private readonly settings: SettingsStore) {}

  preset(method: WizardMethod, spec: PresetSpec): PresetInfo {
    const m = this.settings.getInternal<Measured>(costKey(method.id, spec.id));
    const measured = m && m.samples > 0 && Number.isFinite(m.perImageMs);
    return {
      id: spec.id,
      label: spec.label,
      description: spec.description,
      backbone: spec.backbone,
      perImageMs: measured ? m.perImageMs : spec.prior.perImageMs,
      fixedMs: measured ? m.fixedMs : spec.prior.fixedMs,
      scoreMs: measured ? m.scoreMs : spec.prior.scoreMs,
      basis: measured ? 'measured' : 'benchmark',
      basisText: measured
        ? `measured on this station over ${m.samples} ${m.samples === 1 ? 'fit' : 'fits'}`
        : 'from the benchmark figures (docs/benchmarks.md, 2-core CPU) until this station has trained once',
    };
  }

  methods(): MethodInfo[] {
    return WIZARD_METHODS.map((m) => {
      const a = m.availability();
      return {
        id: m.id,
        label: m.label,
        description: m.description,
        available: a.available,
        reason: a.reason,
        presets: m.presets.map((p) => this.preset(m, p)),
      };
    });
  }

  estimate(methodId: string, presetId: string, split: SplitCounts): TrainingEstimate | null {
    const method = findMethod(methodId);
    const spec = method?.presets.find((p) => p.id === presetId);
    if (!method || !spec) return null;
    const p = this.preset(method, spec);
    const scored = split.calibration + split.synthetic + split.defects;
    return {
      method: methodId,
      preset: presetId,
      images: split.fit + split.calibration,
      fitImages: split.fit,
      calibrationImages: split.calibration,
      ms: Math.round(p.fixedMs + p.perImageMs * split.fit + p.scoreMs * scored),
      basis: p.basis,
      basisText: p.basisText,
    };
  }

  /** Folds one finished job into the running average (recent fits weigh more). */
  record(
    methodId: string,
    presetId: string,
    sample: { perImageMs: number; fixedMs: number; scoreMs: number },
  ): void {
    const key = costKey(methodId, presetId);
    const m = this.settings.getInternal<Measured>(key);
    const w = m && m.samples > 0 ? 0.5 : 1;
    const mix = (old: number | undefined, now: number): number =>
      old === undefined || !Number.isFinite(old) ? now : old * (1 - w) + now * w;
    this.settings.setInternal(key, {
      perImageMs: mix(m?.perImageMs, sample.perImageMs),
      fixedMs: mix(m?.fixedMs, sample.fixedMs),
      scoreMs: mix(m?.scoreMs, sample.scoreMs),
      samples: (m?.samples ?? 0) + 1,
    } satisfies Measured);
  }
}

export interface SplitCounts {
  fit: number;
  calibration: number;
  synthetic: number;
  defects: number;
}

/** Held-out share of the good images: 10 % gave a range too narrow for the demo line (see demo/index.ts). */
export const HOLD_OUT_FRACTION = 0.25;
export const MAX_HOLD_OUT = 50;

export function splitCounts(usableGood: number, defects: number): SplitCounts {
  const calibration =
    usableGood < 4 ? 0 : Math.min(MAX_HOLD_OUT, Math.max(2, Math.round(usableGood * HOLD_OUT_FRACTION)));
  return {
    fit: usableGood - calibration,
    calibration,
    synthetic: syntheticCount(calibration),
    defects,
  };
}

/** Two synthetic anomalies per held-out image (different textures), at least 8, at most 60. */
export function syntheticCount(heldOut: number): number {
  return heldOut === 0 ? 0 : Math.min(60, Math.max(8, heldOut * 2));
}

export function cacheDirOf(dataDir: string): string {
  return join(dataDir, 'cache', 'backbones');
}
