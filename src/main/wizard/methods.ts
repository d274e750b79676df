// The methods the wizard offers: the registered methods (src/main/methods/registry.ts) with the
// presets that have a benchmark prior. The UI lists whatever this returns; nothing here names a
// method.
import { join } from 'node:path';
import type { MethodInfo, PresetInfo, TrainingEstimate } from '@shared/training';
import { METHODS } from '../methods/registry';
import type { AnomalyMethod, MethodPreset, PresetCost } from '../methods/types';
import type { SettingsStore } from '../storage/settings-store';

type WizardPreset = MethodPreset & { prior: PresetCost };

export type WizardMethod = Omit<AnomalyMethod, 'presets'> & { presets: readonly WizardPreset[] };

const offered = (p: MethodPreset): p is WizardPreset => p.wizard && p.prior !== undefined;

export const WIZARD_METHODS: readonly WizardMethod[] = METHODS.map((m) => ({
  ...m,
  presets: m.presets.filter(offered),
}));

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

  preset(method: WizardMethod, spec: WizardPreset): PresetInfo {
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

/** The data cache root the methods convert their backbones under (<cache>/backbones). */
export function cacheDirOf(dataDir: string): string {
  return join(dataDir, 'cache');
}
