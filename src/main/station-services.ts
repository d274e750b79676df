// Opens every core service over one data directory and builds the API handlers on top.
// The Electron app, the headless server and the tests all start the station through here,
// so there is exactly one wiring to get right.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requestSchemas, type ImageData64, type SystemInfo } from '@shared/api';
import type { HeatmapFit, ResultSnapshot } from '@shared/station';
import { EventBus } from './api/event-bus';
import type { ApiHandlers } from './api/dispatch';
import { deviceHandlers } from './api/handlers/devices';
import {
  GOOD_CANDIDATES_DIR,
  LAST_SOURCE_KEY,
  OUTPUTS_CONFIG_KEY,
  type StationContext,
} from './api/handlers/context';
import { inspectionHandlers } from './api/handlers/inspections';
import { modelHandlers } from './api/handlers/models';
import { productHandlers, productOps, type ProductOps } from './api/handlers/products';
import { ProductStore } from './products/store';
import { sourceHandlers } from './api/handlers/sources';
import { userHandlers } from './api/handlers/users';
import { AccessControl } from './users/access';
import { SessionStore } from './users/sessions';
import { UserStore } from './users/user-store';
import { stationHandlers } from './api/handlers/station';
import { systemHandlers } from './api/handlers/system';
import { trainingHandlers } from './api/handlers/training';
import { InspectionQueries } from './api/inspection-queries';
import { ReadWorker } from './api/read-worker';
import { readHeatmapFit, withFit } from './model-store/heatmap-fit';
import { AuditTrail } from './storage/audit-trail';
import { openDatabase, type Db } from './storage/database';
import { attachSigningKey, loadOrCreateSigningKey } from './storage/checkpoints';
import { DiskGuard } from './storage/disk-guard';
import { resolveDataDir, type DataDirPaths } from './storage/data-dir';
import { ImageStore, ImageStoreError } from './storage/image-store';
import { ReviewRepository } from './storage/reviews';
import { SettingsStore } from './storage/settings-store';
import { ensureDemo } from './demo';
import { DeviceService } from './devices';
import type { DeviceServiceOptions } from './devices/service';
import type { BackboneSource } from './methods/types';
import { describeExistingPackage, ModelStore } from './model-store/store';
import { TrainingJobs } from './wizard/jobs';
import type { ModelVersionDto } from '@shared/training';
import type { SourceConfig } from './sources/config';
import { LiveStation, StationError } from './station';
import { DomainError } from './util/errors';
import { startStationFleet, type StationFleet } from './fleet';
import type { PulledDecision } from './fleet/decision-link';
import { fleetLinkHandlers } from './api/handlers/fleet';

export interface OpenStationOptions {
  dataDir: string;
  mode: SystemInfo['mode'];
  electronVersion?: string | null;
  /** Watch USB devices and drive line outputs (off in tests that do not need hardware). */
  usb?: boolean;
  /** How the device layer reaches USB (tests pass a node-usb double). */
  devices?: DeviceServiceOptions;
  /** Tests fit on a tiny backbone instead of converting MobileNetV2. */
  trainingBackbone?: (method: string, preset: string) => Promise<BackboneSource>;
  /** How often the fleet link asks the central database for review decisions (default 2 s). */
  fleetPollMs?: number;
}

/** Frames are at most a few MB; anything bigger is not for a base64 round trip. */
const MAX_IMAGE_BYTES = 16 * 1024 * 1024;
const IMAGE_MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
};

export interface Station {
  paths: DataDirPaths;
  db: Db;
  audit: AuditTrail;
  settings: SettingsStore;
  images: ImageStore;
  live: LiveStation;
  devices: DeviceService;
  /** Replication to the central database and verdicts to the plant, when configured. */
  fleet: StationFleet;
  events: EventBus;
  handlers: ApiHandlers;
  /** Accounts, roles and signatures; the composition roots hand it to their transport. */
  access: AccessControl;
  users: UserStore;
  /**
   * The first administrator's one-time password when it was made at this start (shown once:
   * printed by the headless server, offered to the desktop window); null otherwise.
   */
  firstAdminPassword: string | null;
  /** Read side of the QA screens; the headless server streams CSV from it. */
  queries: InspectionQueries;
  /** The QA screens' reads, served from a worker thread (History, aggregates, CSV). */
  reads: ReadWorker;
  models: ModelStore;
  training: TrainingJobs;
  /** Image-store file by ref, for `GET /api/images/<ref>` and `images.get`. */
  readImage(ref: string): Promise<ImageData64 & { data: Buffer }>;
  /** Starts the last source, or the demo line on a station that has never been configured. */
  startLine(actor?: string): Promise<void>;
  /** The headless server tells the station its URL once it listens. */
  setHeadlessUrl(url: string | null): void;
  close(): Promise<void>;
}

export async function openStation(opts: OpenStationOptions): Promise<Station> {
  const paths = resolveDataDir({ cliArg: opts.dataDir, fallback: opts.dataDir });
  const db = openDatabase(paths.database);
  // The key stays outside the database so a rewrite of station.db cannot be re-signed.
  attachSigningKey(db, loadOrCreateSigningKey(paths.root));
  const events = new EventBus();
  const audit = new AuditTrail(db);
  audit.onAppend((row) =>
    events.emit('audit.appended', { id: row.id, action: row.action, actor: row.actor }),
  );
  const settings = new SettingsStore(db, audit);
  const users = new UserStore(settings, audit);
  const sessions = new SessionStore();
  const firstAdminPassword = users.ensureFirstAdmin();
  const access = new AccessControl(users, sessions, audit, firstAdminPassword);
  const images = await ImageStore.open(paths.images);
  let headlessUrl: string | null = null;
  const devices = new DeviceService(opts.devices);
  const savedOutputs = settings.getInternal<unknown>(OUTPUTS_CONFIG_KEY);
  if (savedOutputs !== undefined) {
    // A saved configuration that no longer validates (schema changed) is dropped, not fatal.
    await devices.configure(savedOutputs).catch(() => undefined);
  }
  if (opts.usb !== false) {
    await devices.start();
    devices.onChange((e) => events.emit('devices.changed', e));
  }
  // Heatmaps are at the model's input size; the UI needs the package's crop to place them.
  const fits = new Map<string, HeatmapFit | null>();
  const fitOfDir = (dir: string): HeatmapFit | null => {
    let fit = fits.get(dir);
    if (fit !== undefined) return fit;
    fit = readHeatmapFit(dir);
    if (fits.size > 100) fits.clear();
    fits.set(dir, fit);
    return fit;
  };
  const fitOfModel = (modelId: string): HeatmapFit | null =>
    /^[\w.-]{1,200}$/.test(modelId) && !modelId.startsWith('.')
      ? fitOfDir(join(paths.models, modelId))
      : null;
  let liveModelDir: string | null = null;
  // A decision made on the fleet server comes back through the same handler (checks, audit row,
  // event) as one made at this station; `handlers` exists by the time the first one arrives.
  const applyDecision = (d: PulledDecision): { reviewId: number } => {
    const request = requestSchemas['reviews.record'].parse({
      inspectionId: d.inspectionId,
      decision: d.decision,
      defectType: d.defectType ?? undefined,
      reason: d.reason ?? undefined,
      reviewer: `${d.reviewer}@fleet`,
      change: d.changeReason ? { reason: d.changeReason } : undefined,
    });
    const out = handlers['reviews.record'](request);
    if (out instanceof Promise)
      throw new Error('reviews.record must answer synchronously to apply a central decision.');
    return { reviewId: out.decision.id };
  };
  const startFleet = () =>
    startStationFleet({
      db,
      settings,
      imagesDir: paths.images,
      applyDecision,
      decisionPollMs: opts.fleetPollMs,
    });
  let fleet = startFleet();
  const fleetControl = {
    state: () => fleet.state(),
    async restart() {
      await fleet.close();
      fleet = startFleet();
    },
  };
  const live = new LiveStation({
    db,
    audit,
    settings,
    images,
    modelsDir: paths.models,
    events: (name, payload) => {
      if (name === 'station.state') liveModelDir = (payload as StationStateLike).model?.dir ?? null;
      if (name === 'station.result') withFit(payload as ResultSnapshot, liveModelDir, fitOfDir);
      events.emit(name, payload as never);
    },
    onVerdict: (verdict) => devices.handleVerdict(verdict),
    diskGuard: new DiskGuard({ dir: paths.root, floor: () => settings.get().retention }),
    onResult: (row) => fleet.onResult(row),
  });

  const models = new ModelStore(db, audit, paths.models);
  const products = new ProductStore(db, audit);
  // After a restart the line records the product it was switched to (the run is new).
  live.setProduct(products.active());
  // Bound once the handler context exists (deploys through the selected product need it).
  let ops: ProductOps | null = null;
  const deployForLine: StationContext['deployForLine'] = (modelId, who, o) => {
    if (!ops) throw new Error('product operations are not ready yet');
    return ops.deployForLine(modelId, who, o);
  };

  /** LiveStation loads the package first, so the table never marks a model active that cannot load. */
  const deployVersion = async (
    id: string,
    actor: string,
    reason: string,
    change: 'deployed' | 'rolled_back' = 'deployed',
  ): Promise<ModelVersionDto> => {
    const v = models.get(id);
    if (!v) throw new DomainError('not_found', `Model version ${id} does not exist.`);
    if (!existsSync(v.path)) throw new DomainError('conflict', `The folder of ${id} (${v.path}) is missing.`);
    await stationCall(() => live.loadModel(v.path, { id: v.id, version: v.version }));
    const active = models.markActive(id, {
      actor,
      action: change === 'rolled_back' ? 'models.rollback' : 'models.deploy',
      reason,
    });
    events.emit('models.changed', { activeId: id, change, id });
    return active;
  };

  const training = new TrainingJobs({
    dataDir: paths.root,
    modelsDir: paths.models,
    store: models,
    settings,
    emit: (job) => events.emit('training.progress', job),
    // Trained while a product was selected, so the check passes; the product records its new model.
    deploy: (id, actor, reason) => deployForLine(id, { actor, reason }),
    backboneFor: opts.trainingBackbone,
    productOf: () => products.active()?.id ?? null,
  });
  await training.cleanLeftovers();

  const reviews = new ReviewRepository(db, audit);
  const queries = new InspectionQueries(db, images, join(paths.root, GOOD_CANDIDATES_DIR), fitOfModel);
  const reads = new ReadWorker({
    databaseFile: paths.database,
    modelsDir: paths.models,
    candidatesDir: join(paths.root, GOOD_CANDIDATES_DIR),
  });

  const readImage = async (ref: string): Promise<ImageData64 & { data: Buffer }> => {
    // isRef is the defence against traversal (a ref is `<2 hex>/<sha256>.<ext>` or nothing);
    // ImageStore.get refuses symbolic links inside the store.
    if (!ImageStore.isRef(ref)) throw new DomainError('invalid', 'Not an image store reference.');
    let data: Buffer;
    try {
      data = await images.get(ref);
    } catch (err) {
      if (err instanceof ImageStoreError && err.code === 'not_found') {
        throw new DomainError(
          'not_found',
          `Image ${ref} is not in the store (never stored, or removed by retention).`,
        );
      }
      if (err instanceof ImageStoreError && err.code === 'bad_ref')
        throw new DomainError('invalid', err.message);
      throw err;
    }
    if (data.length > MAX_IMAGE_BYTES) {
      throw new DomainError('conflict', `Image ${ref} is ${data.length} bytes, more than the UI loads.`);
    }
    const mime = IMAGE_MIME[ref.slice(ref.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    return { ref, mime, base64: data.toString('base64'), bytes: data.length, data };
  };

  const stationCall = async <T>(work: () => Promise<T> | T): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StationError) {
        const kind =
          err.code === 'frame_gone'
            ? 'not_found'
            : err.code === 'bad_thresholds' || err.code === 'invalid_source'
              ? 'invalid'
              : 'conflict';
        throw new DomainError(kind, err.message);
      }
      throw err;
    }
  };

  const startSource = async (
    source: SourceConfig,
    actor: string,
    reason = 'source started',
  ): Promise<void> => {
    await live.start(source);
    const previous = settings.getInternal<SourceConfig>(LAST_SOURCE_KEY);
    if (JSON.stringify(previous) !== JSON.stringify(source)) {
      settings.setInternal(LAST_SOURCE_KEY, source);
      audit.append({
        actor,
        action: 'station.source',
        entity: 'station.source',
        oldValue: previous ? JSON.stringify(previous) : null,
        newValue: JSON.stringify(source),
        reason,
      });
    }
  };

  const startLine = async (actor = 'system'): Promise<void> => {
    const last = settings.getInternal<SourceConfig>(LAST_SOURCE_KEY);
    const active = models.active();
    // After a restart the deployed version comes back, not whatever the demo would fit.
    if (!live.state().model && active && existsSync(active.path)) {
      await live.loadModel(active.path, { id: active.id, version: active.version }).catch(() => undefined);
    }
    if (last && live.state().model) {
      await startSource(last, actor);
      return;
    }
    // A new station shows live inspection at once: generated demo parts and a model fitted on
    // them, registered as a version so the Models screen and rollback know about it.
    const demo = await ensureDemo(paths.root);
    if (!live.state().model) {
      let version = models.findByPath(demo.modelDir);
      if (!version) {
        const described = describeExistingPackage(demo.modelDir, 'demo');
        if (described) {
          version = models.register(described, {
            actor: 'system',
            action: 'models.create',
            reason: 'demo model fitted on the generated demo parts',
          });
        }
      }
      if (version) {
        await deployVersion(version.id, 'system', 'demo line started on a station without a deployed model');
      } else {
        await live.loadModel(demo.modelDir);
      }
    }
    await live.start({ kind: 'replay', folder: demo.lineDir, fps: 5, loop: true });
  };

  const context: StationContext = {
    opts,
    paths,
    db,
    audit,
    settings,
    images,
    live,
    devices,
    events,
    queries,
    reads,
    reviews,
    models,
    products,
    training,
    users,
    sessions,
    fleet: fleetControl,
    access,
    headlessUrl: () => headlessUrl,
    stationCall,
    startLine,
    startSource,
    deployVersion,
    deployForLine,
    readImage,
    fitOfDir,
  };
  ops = productOps(context);
  const handlers: ApiHandlers = {
    ...systemHandlers(context),
    ...stationHandlers(context),
    ...deviceHandlers(context),
    ...sourceHandlers(context),
    ...userHandlers(context),
    ...inspectionHandlers(context),
    ...trainingHandlers(context),
    ...modelHandlers(context),
    ...fleetLinkHandlers(context),
    ...productHandlers(context, ops),
  };

  return {
    paths,
    db,
    audit,
    settings,
    images,
    live,
    devices,
    get fleet() {
      return fleet;
    },
    events,
    handlers,
    access,
    users,
    firstAdminPassword,
    queries,
    reads,
    models,
    training,
    readImage,
    startLine,
    setHeadlessUrl(url) {
      headlessUrl = url;
    },
    async close() {
      await reads.close();
      await training.close();
      await live.close();
      await devices.stop();
      await fleet.close();
      db.close();
    },
  };
}

interface StationStateLike {
  model?: { dir: string } | null;
}
