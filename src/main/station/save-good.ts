// "Save this frame as good": one chosen inspection's image goes into the folder the next training
// set is collected in. The inspection is named by its id (never "whatever frame is current"), so
// what the person looked at in the preview is what is saved.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InspectionDto } from '@shared/inspections';
import { DomainError } from '../util/errors';

export interface SaveGoodInput {
  inspection: Pick<
    InspectionDto,
    'id' | 'at' | 'verdict' | 'imageRef' | 'evictedAt' | 'storeError' | 'review'
  >;
  /** The original frame while the station still holds it (lossless); null otherwise. */
  held: { data: Uint8Array; ext: string } | null;
  /** Reads a stored image (the copy the screens preview). */
  readStored(ref: string): Promise<Uint8Array>;
  folder: string;
}

export interface SavedGood {
  path: string;
  /** True when the original frame was written, false when the stored copy (JPEG) was. */
  original: boolean;
}

/** Refuses what must not become a "good" training image; writes through a temp file + rename. */
export async function saveInspectionAsGood(input: SaveGoodInput): Promise<SavedGood> {
  const { inspection: i } = input;
  if (i.review?.decision === 'defect_confirmed') {
    throw new DomainError(
      'conflict',
      `Inspection ${i.id} was confirmed as a defect by ${i.review.reviewer} (${i.review.decidedAt}); a confirmed defect cannot go into the good training set. Change the decision in Review first if it was wrong.`,
    );
  }
  // An evicted row keeps its ref as provenance, but its claim on the file is gone.
  if (!i.imageRef || i.evictedAt) throw new DomainError('conflict', notKept(i));
  const dir = resolve(input.folder);
  await fsp.mkdir(dir, { recursive: true });
  const prefix = `good_i${i.id}_`;
  const earlier = (await fsp.readdir(dir)).find((f) => f.startsWith(prefix));
  if (earlier) {
    throw new DomainError('conflict', `Inspection ${i.id} is already saved as good: ${join(dir, earlier)}.`);
  }
  let data: Uint8Array;
  let ext: string;
  if (input.held) {
    ({ data, ext } = input.held);
  } else {
    try {
      data = await input.readStored(i.imageRef);
    } catch {
      throw new DomainError(
        'conflict',
        `The image of inspection ${i.id} is no longer in the image store (removed by retention or by hand), so it cannot be saved.`,
      );
    }
    ext = i.imageRef.slice(i.imageRef.lastIndexOf('.') + 1);
  }
  const base = `${prefix}${i.at.replace(/[:.]/g, '-')}`;
  const path = join(dir, `${base}.${ext}`);
  // Temp + rename: a trainer or hot folder watching `folder` never sees half a file.
  const tmp = join(dir, `.${base}.${randomBytes(4).toString('hex')}.tmp`);
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, path);
  return { path, original: input.held !== null };
}

function notKept(i: SaveGoodInput['inspection']): string {
  const why = i.evictedAt
    ? `it was removed by retention at ${i.evictedAt}`
    : i.storeError
      ? `it was not stored (${i.storeError})`
      : i.verdict === 'PASS'
        ? 'only every n-th PASS image is kept (Settings → retention)'
        : 'it was not stored';
  return `The image of inspection ${i.id} was not kept (${why}), so it cannot be saved as good. Pick a part whose image is shown.`;
}
