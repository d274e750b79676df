// A simulated station: its own SQLite database (with the fleet outbox), audit trail, inspection
// and review repositories, and image store, in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditTrail,
  ImageStore,
  InspectionRepository,
  ReviewRepository,
  openDatabase,
  type Db,
  type Verdict,
} from '../../../src/main/storage';

export class SimStation {
  readonly db: Db;
  readonly audit: AuditTrail;
  readonly inspections: InspectionRepository;
  readonly reviews: ReviewRepository;
  private n = 0;
  /** Outbox entries this fixture's writes queued: one per inspection, one per stored image. */
  entriesQueued = 0;

  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly images: ImageStore,
  ) {
    this.db = openDatabase(join(dir, 'station.db'));
    this.audit = new AuditTrail(this.db);
    this.inspections = new InspectionRepository(this.db);
    this.reviews = new ReviewRepository(this.db, this.audit);
  }

  static async create(id: string): Promise<SimStation> {
    const dir = mkdtempSync(join(tmpdir(), `fleet-station-${id}-`));
    return new SimStation(id, dir, await ImageStore.open(join(dir, 'images')));
  }

  get imagesDir(): string {
    return this.images.dir;
  }

  /** Inserts `count` inspections in one transaction; every 10th is REVIEW with a stored image. */
  async inspect(count: number, productOf?: (k: number) => string | null): Promise<number[]> {
    const rows = [];
    for (let i = 0; i < count; i++) {
      const k = this.n++;
      const verdict: Verdict = k % 10 === 9 ? 'REVIEW' : 'PASS';
      let imageRef: string | null = null;
      let imageSha256: string | null = null;
      if (verdict === 'REVIEW') {
        const img = await this.images.put(Buffer.from(`${this.id} part ${k} png bytes`), 'png');
        imageRef = img.ref;
        imageSha256 = img.sha256;
      }
      rows.push({
        at: new Date().toISOString(),
        source: 'sim',
        frameId: `${this.id}-${k}`,
        modelId: 'm1',
        modelVersion: 1,
        rawScore: k / 7,
        normScore: (k % 100) / 100,
        verdict,
        latencyMs: 3,
        imageRef,
        imageSha256,
        ...(productOf ? { productId: productOf(k), runId: 1, sourceRef: `${this.id}-${k}.png` } : {}),
      });
    }
    const ids = this.inspections.insertMany(rows);
    this.entriesQueued += rows.length + rows.filter((r) => r.imageRef !== null).length;
    return ids;
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
