// Main-thread pieces every method that trains on the engine shares: its worker entry, the job
// data a fit request becomes, and what its registry entry says about availability and backbones.
import { join } from 'node:path';
import type { WorkerEntry } from '../../jobs/worker-job';
import type { BackboneSource, MethodFitRequest } from '../types';
import type { TrainedFitJobData } from './trained-worker';

/** `<id>-fit-worker`, the entry the build makes of src/main/methods/<id>/fit.worker.ts. */
export function fitWorkerEntry(id: string, methodDir: string): WorkerEntry {
  return { name: `${id}-fit-worker`, source: join(methodDir, 'fit.worker.ts') };
}

/** The common job data of a fit request; the method adds its own inputs (cache, teacher…). */
export function trainedJobData<Preset extends string, Config>(
  req: MethodFitRequest,
): TrainedFitJobData<Preset, Config> & { cacheDir: string } {
  return {
    images: req.images,
    calibrationImages: req.calibrationImages,
    preset: req.preset as Preset,
    config: req.config as Partial<Config> | undefined,
    cacheDir: req.cacheDir,
    outDir: req.outDir,
    providerOrder: req.providerOrder,
    export: { preset: req.preset, metrics: req.metrics },
  };
}

/** Availability of a method that trains on this station's engine: wherever ONNX Runtime runs. */
export function trainsOnEngine(): { available: boolean; reason: string } {
  return {
    available: true,
    reason:
      "Trains on this station's engine (ONNX Runtime) with the provider order of Settings → Inference runtime: a GPU when one works here, the CPU otherwise.",
  };
}

/** resolveBackbone of a method that converts its own networks (or has none) at fit time. */
export function ownNetworks(): Promise<BackboneSource | null> {
  return Promise.resolve(null);
}
