// Paused training jobs on disk. A paused job's staging folder (<dataDir>/training/<jobId>) keeps
// the method's training checkpoint (weights, optimiser state, step counter, loss curve: see
// engine/loop.ts) and, beside it, this record: the job's request, its image split and what the
// wizard showed. A station started over the same data directory reads the record back, lists
// the job as paused, and resuming reruns the same fit, which continues from the checkpoint.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { TrainingJobDto } from '@shared/training';
import type { AnomalyMethod } from '../methods/types';
import type { ScannedImage } from './scan';
import { DomainError } from '../util/errors';

export const PAUSED_RECORD = 'paused-job.json';

/** Why a pause or resume cannot happen, in words: the job's state does not allow it (a conflict). */
export class PauseRefused extends DomainError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'PauseRefused';
  }
}

export interface PausedJobRecord {
  version: 1;
  dto: TrainingJobDto;
  fit: ScannedImage[];
  heldOut: ScannedImage[];
  defects: ScannedImage[];
  masks: Array<[string, string]>;
  productId: string | null;
}

const image = z
  .object({
    path: z.string().min(1),
    name: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    channels: z.number().int().positive(),
  })
  .strict();

const pausedInfo = z
  .object({
    at: z.string(),
    by: z.string().min(1),
    reason: z.string().min(1),
    step: z.number().int().nonnegative().nullable(),
    totalSteps: z.number().int().nonnegative().nullable(),
  })
  .strict();

// The DTO is the station's own output; its identifying fields are checked, the rest kept as written.
const recordSchema = z
  .object({
    version: z.literal(1),
    dto: z.looseObject({
      id: z.string().regex(/^job-[0-9a-z-]+$/),
      state: z.literal('paused'),
      method: z.string().min(1),
      preset: z.string().min(1),
      goodDir: z.string().min(1),
      actor: z.string().min(1),
      paused: pausedInfo,
    }),
    fit: z.array(image).min(1),
    heldOut: z.array(image),
    defects: z.array(image),
    masks: z.array(z.tuple([z.string(), z.string()])),
    productId: z.string().nullable(),
  })
  .strict();

/**
 * Refusal of a pause in words, or null when `method` can pause in `state`. Only a fit that trains
 * by gradient steps has a step boundary to stop at and a checkpoint to continue from.
 */
export function pauseRefusal(method: AnomalyMethod | undefined, state: TrainingJobDto['state']): string | null {
  if (!method) return 'The job names a method this station does not have, so it cannot be paused.';
  if (!method.needs.gradientTraining || !method.resumable)
    return `${method.label} does not train by gradient steps (it fits in one pass), so it has no step to pause at and no checkpoint to resume from. Let it finish or cancel it.`;
  if (state === 'preparing')
    return 'The job is still preparing its networks; pause it once training has started.';
  if (state === 'calibrating')
    return 'Training is finished and the job is calibrating (seconds to minutes); there is nothing left to pause.';
  if (state === 'paused') return 'The job is already paused.';
  if (state !== 'fitting') return `The job has ended (${state}); only a running training can be paused.`;
  return null;
}

/**
 * Writes the record through a temporary file, fsync and rename: a station killed mid-write leaves
 * either the previous record or none, never half of one.
 */
export function writePausedRecord(staging: string, record: PausedJobRecord): void {
  const path = join(staging, PAUSED_RECORD);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export async function removePausedRecord(staging: string): Promise<void> {
  await fsp.rm(join(staging, PAUSED_RECORD), { force: true });
}

/** The record in `staging`, or null when there is none or it is not one this station wrote. */
export async function readPausedRecord(staging: string): Promise<PausedJobRecord | null> {
  let text: string;
  try {
    text = await fsp.readFile(join(staging, PAUSED_RECORD), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as unknown as PausedJobRecord) : null;
  } catch {
    return null;
  }
}
