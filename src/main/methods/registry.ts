// The anomaly methods of this station. The wizard, the CLI (fit, eval, predict, bench), the model
// store and the build's worker entries iterate this list; none of them names a method.
//
// Adding a method = one folder src/main/methods/<id>/ + one line in METHODS below. The folder
// provides (DFR's layout, src/main/methods/dfr/, is the template for a method that trains):
//   types.ts       config, presets (smallest first), progress (extends MethodProgress) and
//                  fitted-model types
//   graph.ts       its ONNX graphs (src/main/onnx/builder.ts; training steps via src/main/engine)
//   fit.ts         fit(options extending common FitOptions): common's fingerprint, holdOut,
//                  calibrationSet, scorePackageGraph, StageClock/trainStage, summariseCalibration
//   export.ts      model.json through common buildModelJson (with its `deviations` list) and
//                  common writePackage: the one package shape src/main/models/runner.ts loads
//   fit-job.ts     <ID>_FIT_WORKER_ENTRY = fitWorkerEntry('<id>', __dirname), the job data
//                  (extends TrainedFitJobData) and start<Id>Fit(data, onProgress) → startWorkerJob
//   fit.worker.ts  runTrainedFitWorker({ method, fit, exportTo }) (common/trained-worker.ts):
//                  fit + export + drop the checkpoint in the worker thread; the build bundles
//                  every methods/*/fit.worker.ts as '<folder>-fit-worker'
//   method.ts      the AnomalyMethod (src/main/methods/types.ts): id, label, needs, pixelMap,
//                  presets with prior cost and memory formula, testConfig, workerEntry,
//                  availability (trainsOnEngine), resolveBackbone (ownNetworks), and
//                  fit(request) → start<Id>Fit(trainedJobData(request) + its own inputs)
//   index.ts       the folder's public surface
// Registering it gives it the wizard entry, the CLI's --method/--preset validation and help, the
// build entry, and the conformance test (test/integration/methods/conformance.test.ts).
import { dfrMethod } from './dfr/method';
import { draemMethod } from './draem/method';
import { ocrganMethod } from './ocrgan/method';
import { patchcoreMethod } from './patchcore/method';
import { stpmMethod } from './stpm/method';
import { stpm2Method } from './stpm2/method';
import type { AnomalyMethod, MethodPreset } from './types';

export const METHODS: readonly AnomalyMethod[] = [
  patchcoreMethod,
  dfrMethod,
  stpmMethod,
  stpm2Method,
  draemMethod,
  ocrganMethod,
];

/** The method used when none is named (CLI --method). */
export const DEFAULT_METHOD = METHODS[0];

export function findMethod(id: string): AnomalyMethod | undefined {
  return METHODS.find((m) => m.id === id);
}

export function methodIds(): string[] {
  return METHODS.map((m) => m.id);
}

export function findPreset(method: AnomalyMethod, id: string): MethodPreset | undefined {
  return method.presets.find((p) => p.id === id);
}

/** The preset a package was fitted with: `params.preset` when recorded, else the method's inference. */
export function packagePreset(json: { method: string; params: Record<string, unknown> }): string | null {
  const p = json.params.preset;
  if (typeof p === 'string') return p;
  const m = findMethod(json.method);
  return m?.presetOf?.(json as Parameters<NonNullable<AnomalyMethod['presetOf']>>[0]) ?? null;
}

export type {
  AnomalyMethod,
  BackboneSource,
  MethodFitRequest,
  MethodFitResult,
  MethodPreset,
  MethodProgress,
  PresetCost,
} from './types';
