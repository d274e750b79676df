// What to keep and what to give up when space runs out. Metadata is always recorded by the
// caller; this module only decides about image files.
import type { RetentionSettings } from '@shared/api';
import { ImageStoreError, type ImageStore, type StoredImage } from './image-store';
import type { InspectionRepository, Verdict } from './inspections';

/**
 * FAIL and REVIEW images are evidence and always kept; PASS images are sampled 1 in N.
 * `passIndex` is the 0-based count of PASS frames seen before this one, so the first is kept.
 */
export function keepImage(verdict: Verdict, passIndex: number, retention: RetentionSettings): boolean {
  if (verdict !== 'PASS') return true;
  const every = Math.max(1, Math.floor(retention.keepPassEvery));
  return passIndex % every === 0;
}

export interface ImageFile {
  data: Uint8Array;
  ext: string;
}

export interface SaveOutcome {
  image: StoredImage | null;
  heatmap: StoredImage | null;
  /** True when PASS sampling chose not to keep this frame's files. */
  sampledOut: boolean;
  /** Set when a file that should have been kept could not be; goes into inspections.store_error. */
  error: ImageStoreError | null;
}

const EVICTION_BATCH = 64;

/**
 * Serialises saves so quota accounting and eviction never interleave. Callers must insert the
 * inspection row for a save before starting the next one: eviction protects FAIL/REVIEW files
 * by looking them up in the database.
 */
export class RetainedImageWriter {
  private passIndex = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ImageStore,
    private readonly inspections: InspectionRepository,
    private readonly retention: () => RetentionSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  save(verdict: Verdict, image: ImageFile, heatmap?: ImageFile): Promise<SaveOutcome> {
    const run = this.queue.then(() => this.saveNow(verdict, image, heatmap));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveNow(verdict: Verdict, image: ImageFile, heatmap?: ImageFile): Promise<SaveOutcome> {
    const settings = this.retention();
    const keep = keepImage(verdict, this.passIndex, settings);
    if (verdict === 'PASS') this.passIndex += 1;
    if (!keep) return { image: null, heatmap: null, sampledOut: true, error: null };

    const need = image.data.byteLength + (heatmap?.data.byteLength ?? 0);
    const outcome: SaveOutcome = { image: null, heatmap: null, sampledOut: false, error: null };
    try {
      await this.makeRoom(need, settings.maxStoreBytes);
      outcome.image = await this.store.put(image.data, image.ext);
      if (heatmap) outcome.heatmap = await this.store.put(heatmap.data, heatmap.ext);
    } catch (err) {
      outcome.error =
        err instanceof ImageStoreError
          ? err
          : new ImageStoreError('io', `Image store failed: ${String(err)}`, err);
    }
    return outcome;
  }

  /** Oldest PASS files go first; FAIL/REVIEW files are never candidates. */
  private async makeRoom(need: number, maxBytes: number): Promise<void> {
    if (need > maxBytes) {
      throw new ImageStoreError(
        'quota_exceeded',
        `A ${need}-byte image cannot fit a ${maxBytes}-byte store.`,
      );
    }
    while (this.store.totalBytes + need > maxBytes) {
      const candidates = this.inspections.evictionCandidates(EVICTION_BATCH);
      if (candidates.length === 0) {
        throw new ImageStoreError(
          'quota_exceeded',
          `Image store is full (${this.store.totalBytes} of ${maxBytes} bytes) and holds only FAIL/REVIEW ` +
            `images, which are never evicted. Raise the storage limit or archive old evidence.`,
        );
      }
      for (const c of candidates) {
        if (this.store.totalBytes + need <= maxBytes) return;
        const at = this.now().toISOString();
        for (const ref of [c.imageRef, c.heatmapRef]) {
          if (!ref || !this.isOnlyPassReferenced(ref)) continue;
          await this.store.remove(ref);
          this.inspections.markEvicted(ref, at);
        }
        this.inspections.markRowEvicted(c.id, at);
      }
    }
  }

  /** A content-addressed file may be shared with a FAIL/REVIEW twin; then it stays. */
  private isOnlyPassReferenced(ref: string): boolean {
    return this.inspections.keptReferences(ref) === 0;
  }
}
