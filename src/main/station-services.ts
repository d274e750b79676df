// Opens every core service over one data directory and builds the API handlers on top.
// The Electron app, the headless server and the tests all start the station through here,
// so there is exactly one wiring to get right.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ApiError, type ApiParsedRequest, type ImageData64, type SystemInfo } from '@shared/api';
import type { HeatmapFit, ResultSnapshot } from '@shared/station';
import { EventBus } from './api/event-bus';
import type { ApiHandlers } from './api/dispatch';
import { InspectionQueries } from './api/inspection-queries';
import { APP_VERSION } from './app-version';
import { listExecutionProviders, onnxRuntimeVersion } from './runtime';
import { AuditTrail } from './storage/audit-trail';
import { openDatabase, schemaVersion, type Db } from './storage/database';
import { resolveDataDir, type DataDirPaths } from './storage/data-dir';
import { ImageStore, ImageStoreError } from './storage/image-store';
import { ReviewRepository } from './storage/reviews';
import { SettingsStore } from './storage/settings-store';
import { ensureDemo } from './demo';
import { DeviceService } from './devices';
import type { DeviceServiceOptions } from './devices/service';
import { BUZZER_PATTERNS, LAMP_PATTERNS } from './devices/patlite';
import { EXAMPLE_OUTPUTS_CONFIG } from './devices/config';
import type { BackboneSource } from './methods/patchcore/types';
import { compareModels } from './model-store/compare';
import { importModelPackage } from './model-store/import';
import { describeExistingPackage, ModelStore } from './model-store/store';
import { scanTrainingFolders, FolderError } from './training/wizard/scan';
import { TrainingJobs } from './training/wizard/jobs';
import { findMethod } from './training/wizard/methods';
import type { ModelVersionDto } from '@shared/training';
import { sourceConfigSchema, type SourceConfig } from './sources/config';
import { LiveStation, StationError } from './station';

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
}

const LAST_SOURCE_KEY = 'station.last_source';
/** The outputs configuration, so stack light and relay survive a restart. */
const OUTPUTS_CONFIG_KEY = 'devices.outputs';
const GOOD_CANDIDATES_DIR = 'good-candidates';
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
  events: EventBus;
  handlers: ApiHandlers;
  /** Read side of the QA screens; the headless server streams CSV from it. */
  queries: InspectionQueries;
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
  const events = new EventBus();
  const audit = new AuditTrail(db);
  audit.onAppend((row) =>
    events.emit('audit.appended', { id: row.id, action: row.action, actor: row.actor }),
  );
  const settings = new SettingsStore(db, audit);
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
  });

  const models = new ModelStore(db, audit, paths.models);

  /** LiveStation loads the package first, so the table never marks a model active that cannot load. */
  const deployVersion = async (
    id: string,
    actor: string,
    reason: string,
    change: 'deployed' | 'rolled_back' = 'deployed',
  ): Promise<ModelVersionDto> => {
    const v = models.get(id);
    if (!v) throw new ApiError('not_found', `Model version ${id} does not exist.`);
    if (!existsSync(v.path)) throw new ApiError('conflict', `The folder of ${id} (${v.path}) is missing.`);
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
    deploy: (id, actor, reason) => deployVersion(id, actor, reason),
    backboneFor: opts.trainingBackbone,
  });
  await training.cleanLeftovers();

  const reviews = new ReviewRepository(db, audit);
  const queries = new InspectionQueries(db, images, join(paths.root, GOOD_CANDIDATES_DIR), fitOfModel);

  const readImage = async (ref: string): Promise<ImageData64 & { data: Buffer }> => {
    // isRef is the whole defence against traversal: a ref is `<2 hex>/<sha256>.<ext>` or nothing.
    if (!ImageStore.isRef(ref)) throw new ApiError('bad_request', 'Not an image store reference.');
    let data: Buffer;
    try {
      data = await images.get(ref);
    } catch (err) {
      if (err instanceof ImageStoreError && err.code === 'not_found') {
        throw new ApiError(
          'not_found',
          `Image ${ref} is not in the store (never stored, or removed by retention).`,
        );
      }
      throw err;
    }
    if (data.length > MAX_IMAGE_BYTES) {
      throw new ApiError('conflict', `Image ${ref} is ${data.length} bytes, more than the UI loads.`);
    }
    const mime = IMAGE_MIME[ref.slice(ref.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    return { ref, mime, base64: data.toString('base64'), bytes: data.length, data };
  };

  const stationCall = async <T>(work: () => Promise<T> | T): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StationError) {
        const code =
          err.code === 'frame_gone'
            ? 'not_found'
            : err.code === 'bad_thresholds' || err.code === 'invalid_source'
              ? 'bad_request'
              : 'conflict';
        throw new ApiError(code, err.message);
      }
      throw err;
    }
  };

  const startSource = async (source: SourceConfig, actor: string): Promise<void> => {
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
        reason: 'source started',
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

  const fileSize = (file: string): number => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };

  const handlers: ApiHandlers = {
    'system.info': async () => ({
      appVersion: APP_VERSION,
      onnxRuntimeVersion: onnxRuntimeVersion(),
      executionProviders: await listExecutionProviders(),
      providerOrder: settings.get().providerOrder,
      dataDir: paths.root,
      databasePath: paths.database,
      databaseSizeBytes: fileSize(paths.database) + fileSize(`${paths.database}-wal`),
      schemaVersion: schemaVersion(db),
      imageStoreBytes: images.totalBytes,
      headlessUrl,
      mode: opts.mode,
      platform: `${process.platform} ${process.arch}`,
      nodeVersion: process.versions.node,
      electronVersion: opts.electronVersion ?? null,
    }),
    'settings.get': () => settings.get(),
    'settings.update': (req: ApiParsedRequest<'settings.update'>) => {
      const { settings: next, audit: changes } = settings.update(req.patch, req.actor, req.reason);
      if (changes.length > 0) events.emit('settings.changed', next);
      return next;
    },
    'audit.list': (req: ApiParsedRequest<'audit.list'>) => audit.list(req),
    'audit.verify': () => audit.verify(),
    'station.state': () => live.state(),
    'station.stats': () => live.stats(),
    'station.lastResult': () => {
      const snap = live.lastResult();
      return snap ? withFit(snap, live.state().model?.dir ?? null, fitOfDir) : null;
    },
    'station.start': (req: ApiParsedRequest<'station.start'>) =>
      stationCall(async () => {
        if (!req.source) {
          await startLine(req.actor);
          return live.state();
        }
        const parsed = sourceConfigSchema.safeParse(req.source);
        if (!parsed.success) {
          throw new ApiError(
            'bad_request',
            `Invalid source: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        }
        await startSource(parsed.data, req.actor ?? settings.get().operatorName);
        return live.state();
      }),
    'station.stop': () => stationCall(() => live.stop()),
    'station.setThresholds': (req: ApiParsedRequest<'station.setThresholds'>) =>
      stationCall(() => live.setThresholds({ t1: req.t1, t2: req.t2 }, req.actor, req.reason).new),
    'station.saveFrameAsGood': (req: ApiParsedRequest<'station.saveFrameAsGood'>) =>
      stationCall(async () => {
        const saved = await live.saveFrameAsGood(req.frameId, join(paths.root, GOOD_CANDIDATES_DIR));
        audit.append({
          actor: req.actor,
          action: 'training.add_good',
          entity: `frame:${req.frameId}`,
          newValue: saved.path,
          reason: 'operator saved this frame as good',
        });
        return saved;
      }),
    'devices.list': () => devices.list(),
    'devices.configure': async (req: ApiParsedRequest<'devices.configure'>) => {
      const before = devices.getConfig();
      const after = await devices.configure(req.config);
      settings.setInternal(OUTPUTS_CONFIG_KEY, after);
      audit.append({
        actor: req.actor,
        action: 'devices.configure',
        entity: 'devices.outputs',
        oldValue: JSON.stringify(before),
        newValue: JSON.stringify(after),
        reason: req.reason,
      });
      return after as Record<string, unknown>;
    },
    'devices.test': (req: ApiParsedRequest<'devices.test'>) => devices.test(req.deviceId, req.action),
    'inspections.list': (req: ApiParsedRequest<'inspections.list'>) =>
      queries.list(req.filter, req.after, req.limit),
    'inspections.get': (req: ApiParsedRequest<'inspections.get'>) => {
      const inspection = queries.get(req.id);
      if (!inspection) throw new ApiError('not_found', `Inspection ${req.id} does not exist.`);
      return { inspection, decisions: queries.decisions(req.id) };
    },
    'inspections.models': () => queries.models(),
    'inspections.histogram': (req: ApiParsedRequest<'inspections.histogram'>) =>
      queries.histogram(req.filter, req.bins, req.include, req.max),
    'inspections.whatIf': (req: ApiParsedRequest<'inspections.whatIf'>) =>
      queries.whatIf(req.filter, req.t1, req.t2),
    'inspections.yieldOverTime': (req: ApiParsedRequest<'inspections.yieldOverTime'>) =>
      queries.yieldOverTime(req.filter, req.bucket),
    'inspections.exportCsv': (req: ApiParsedRequest<'inspections.exportCsv'>) =>
      queries.csvChunk(req.filter, req.after, req.limit),
    'reviews.record': (req: ApiParsedRequest<'reviews.record'>) => {
      const inspection = queries.get(req.inspectionId);
      if (!inspection) throw new ApiError('not_found', `Inspection ${req.inspectionId} does not exist.`);
      if (inspection.verdict === 'PASS') {
        throw new ApiError(
          'bad_request',
          `Inspection ${req.inspectionId} passed; only FAIL and REVIEW parts are reviewed.`,
        );
      }
      // Decision and audit row commit in one transaction (ReviewRepository.record).
      const { decision, audit: row } = reviews.record({
        inspectionId: req.inspectionId,
        reviewer: req.reviewer,
        decision: req.decision,
        defectType: req.decision === 'defect_confirmed' ? (req.defectType ?? null) : null,
        reason: req.reason ? req.reason : null,
      });
      events.emit('review.recorded', decision);
      return { decision, auditId: row.id };
    },
    'reviews.list': (req: ApiParsedRequest<'reviews.list'>) => queries.decisions(req.inspectionId),
    'candidates.list': (req: ApiParsedRequest<'candidates.list'>) =>
      queries.candidates(req.beforeId, req.limit),
    'candidates.export': async (req: ApiParsedRequest<'candidates.export'>) => {
      const result = await queries.exportCandidates();
      audit.append({
        actor: req.actor,
        action: 'training.export_candidates',
        entity: 'training.good_candidates',
        newValue: JSON.stringify(result),
        reason: 'false alarms copied as candidates for the next training set',
      });
      return result;
    },
    'images.get': async (req: ApiParsedRequest<'images.get'>) => {
      const { data: _data, ...image } = await readImage(req.ref);
      return image;
    },
    'devices.config': () => ({
      config: devices.getConfig() as unknown as Record<string, unknown>,
      example: EXAMPLE_OUTPUTS_CONFIG as unknown as Record<string, unknown>,
      lampPatterns: [...LAMP_PATTERNS],
      buzzerPatterns: [...BUZZER_PATTERNS],
    }),
    'training.methods': () => training.costs.methods(),
    'training.scan': async (req: ApiParsedRequest<'training.scan'>) => {
      let scan;
      try {
        scan = await scanTrainingFolders(req.goodDir, req.defectDir ?? null);
      } catch (err) {
        if (err instanceof FolderError) throw new ApiError('bad_request', err.message);
        throw err;
      }
      const estimates = training.costs.methods().flatMap((m) =>
        m.available
          ? m.presets.flatMap((p) => {
              const e = training.estimate(
                m.id,
                p.id,
                scan.report.good.usable,
                scan.report.defects?.usable ?? 0,
              );
              return e ? [e] : [];
            })
          : [],
      );
      return { ...scan.report, estimates };
    },
    'training.start': async (req: ApiParsedRequest<'training.start'>) => {
      if (!findMethod(req.method))
        throw new ApiError('bad_request', `Unknown training method "${req.method}".`);
      const job = await training.start(req);
      audit.append({
        actor: req.actor,
        action: 'training.start',
        entity: `training:${job.id}`,
        newValue: JSON.stringify({
          method: job.method,
          preset: job.preset,
          goodDir: job.goodDir,
          defectDir: job.defectDir,
          fitImages: job.fitImages,
          heldOutImages: job.heldOutImages,
        }),
        reason: 'training started from the wizard',
      });
      return job;
    },
    'training.status': () => training.current(),
    'training.cancel': async (req: ApiParsedRequest<'training.cancel'>) => {
      const before = training.current();
      const job = await training.cancel(req.jobId);
      if (before && before.state !== job.state) {
        audit.append({
          actor: req.actor,
          action: 'training.cancel',
          entity: `training:${job.id}`,
          oldValue: before.state,
          newValue: job.state,
          reason: 'cancelled by the operator',
        });
      }
      return job;
    },
    'training.calibrate': (req: ApiParsedRequest<'training.calibrate'>) =>
      training.calibration(req.jobId, {
        targetFalseRejectRate: req.targetFalseRejectRate,
        reviewBudget: req.reviewBudget,
        t1: req.t1,
        t2: req.t2,
      }),
    'training.save': async (req: ApiParsedRequest<'training.save'>) => {
      const saved = await training.save(req);
      events.emit('models.changed', {
        activeId: models.active()?.id ?? null,
        change: 'created',
        id: saved.id,
      });
      return saved;
    },
    'training.discard': (req: ApiParsedRequest<'training.discard'>) => training.discard(req.jobId),
    'models.list': () => {
      const prev = models.previousDeployed();
      return {
        versions: models.list(),
        activeId: models.active()?.id ?? null,
        liveModelId: live.state().model?.id ?? null,
        rollbackTo: prev ? { id: prev.id, version: prev.version } : null,
      };
    },
    'models.get': (req: ApiParsedRequest<'models.get'>) => {
      const v = models.get(req.id);
      if (!v) throw new ApiError('not_found', `Model version ${req.id} does not exist.`);
      return v;
    },
    'models.deploy': (req: ApiParsedRequest<'models.deploy'>) => {
      if (models.active()?.id === req.id && live.state().model?.id === req.id) {
        throw new ApiError('conflict', `${req.id} is already the active version.`);
      }
      return deployVersion(req.id, req.actor, req.reason);
    },
    'models.rollback': (req: ApiParsedRequest<'models.rollback'>) => {
      const prev = models.previousDeployed();
      if (!prev) throw new ApiError('conflict', 'There is no earlier deployed version to roll back to.');
      return deployVersion(prev.id, req.actor, req.reason, 'rolled_back');
    },
    'models.import': async (req: ApiParsedRequest<'models.import'>) => {
      const v = await importModelPackage(models, join(paths.root, 'training'), req);
      events.emit('models.changed', { activeId: models.active()?.id ?? null, change: 'imported', id: v.id });
      return v;
    },
    'models.compare': async (req: ApiParsedRequest<'models.compare'>) => {
      const a = models.get(req.a);
      const b = models.get(req.b);
      if (!a) throw new ApiError('not_found', `Model version ${req.a} does not exist.`);
      if (!b) throw new ApiError('not_found', `Model version ${req.b} does not exist.`);
      return compareModels(a, b, req.folder, req.limit);
    },
  };

  return {
    paths,
    db,
    audit,
    settings,
    images,
    live,
    devices,
    events,
    handlers,
    queries,
    models,
    training,
    readImage,
    startLine,
    setHeadlessUrl(url) {
      headlessUrl = url;
    },
    async close() {
      await training.close();
      await live.close();
      await devices.stop();
      db.close();
    },
  };
}

interface StationStateLike {
  model?: { dir: string } | null;
}

function withFit(
  snap: ResultSnapshot,
  dir: string | null,
  fitOfDir: (dir: string) => HeatmapFit | null,
): ResultSnapshot {
  const fit = dir ? fitOfDir(dir) : null;
  if (fit) snap.heatmap = { ...snap.heatmap, fit };
  return snap;
}

/**
 * Native packages record `input.resize` (shorter side before the centre crop) and the input size in
 * model.json; anomalib exports are fed the whole frame squeezed to the input size (resize 0).
 */
function readHeatmapFit(dir: string): HeatmapFit | null {
  if (!isAbsolute(dir)) return null;
  try {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      input?: { resize?: unknown; width?: unknown };
    };
    const crop = Number(json.input?.width);
    const resize = Number(json.input?.resize ?? 0);
    return Number.isFinite(crop) && crop > 0 ? { resize: Number.isFinite(resize) ? resize : 0, crop } : null;
  } catch {
    try {
      // No model.json: an anomalib export, which takes the whole frame.
      statSync(join(dir, 'model.onnx'));
      return { resize: 0, crop: 0 };
    } catch {
      return null;
    }
  }
}
