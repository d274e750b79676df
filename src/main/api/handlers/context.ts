// What the API handlers work on: the station's open services plus the few operations that
// several handler groups share (deploying a version, starting the line, mapping station errors).
import type { ImageData64, SystemInfo } from '@shared/api';
import type { HeatmapFit } from '@shared/station';
import type { ModelVersionDto } from '@shared/training';
import type { DeviceService } from '../../devices';
import type { StationFleetState } from '../../fleet';
import type { ModelStore } from '../../model-store/store';
import type { ProductStore } from '../../products/store';
import type { SourceConfig } from '../../sources/config';
import type { LiveStation } from '../../station';
import type { AuditTrail } from '../../storage/audit-trail';
import type { ReadWorker } from '../read-worker';
import type { Db } from '../../storage/database';
import type { DataDirPaths } from '../../storage/data-dir';
import type { ImageStore } from '../../storage/image-store';
import type { ReviewRepository } from '../../storage/reviews';
import type { SettingsStore } from '../../storage/settings-store';
import type { AccessControl } from '../../users/access';
import type { SessionStore } from '../../users/sessions';
import type { UserStore } from '../../users/user-store';
import type { TrainingJobs } from '../../wizard/jobs';
import type { EventBus } from '../event-bus';
import type { InspectionQueries } from '../inspection-queries';

export const LAST_SOURCE_KEY = 'station.last_source';
/** The outputs configuration, so stack light and relay survive a restart. */
export const OUTPUTS_CONFIG_KEY = 'devices.outputs';
export const GOOD_CANDIDATES_DIR = 'good-candidates';

export interface StationContext {
  opts: { mode: SystemInfo['mode']; electronVersion?: string | null };
  paths: DataDirPaths;
  db: Db;
  audit: AuditTrail;
  settings: SettingsStore;
  images: ImageStore;
  live: LiveStation;
  devices: DeviceService;
  events: EventBus;
  queries: InspectionQueries;
  /** The same reads in a worker thread on a read-only connection (QA screens, CSV). */
  reads: ReadWorker;
  reviews: ReviewRepository;
  models: ModelStore;
  products: ProductStore;
  training: TrainingJobs;
  users: UserStore;
  sessions: SessionStore;
  /** Replication, central decisions and plant outputs; restart() re-reads their settings. */
  fleet: { state(): StationFleetState; restart(): Promise<void> };
  /** Sign-in lockouts after wrong passwords (shown and lifted on the Users screen). */
  access: AccessControl;
  headlessUrl(): string | null;
  /** Runs station work, turning StationError into the matching ApiError. */
  stationCall<T>(work: () => Promise<T> | T): Promise<T>;
  startLine(actor?: string): Promise<void>;
  startSource(source: SourceConfig, actor: string, reason?: string): Promise<void>;
  deployVersion(
    id: string,
    actor: string,
    reason: string,
    change?: 'deployed' | 'rolled_back',
  ): Promise<ModelVersionDto>;
  /** deployVersion through the selected product: mismatch check, and the product's model recorded. */
  deployForLine(
    modelId: string,
    who: { actor: string; reason: string },
    opts?: { change?: 'deployed' | 'rolled_back'; acknowledge?: boolean },
  ): Promise<ModelVersionDto>;
  readImage(ref: string): Promise<ImageData64 & { data: Buffer }>;
  fitOfDir(dir: string): HeatmapFit | null;
}
