// Opens every core service over one data directory and builds the API handlers on top.
// The Electron app, the headless server and the tests all start the station through here,
// so there is exactly one wiring to get right.
import { readFileSync, statSync } from 'node:fs';
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
import { startDemoLine } from './demo';
import { DeviceService } from './devices';
import { sourceConfigSchema, type SourceConfig } from './sources/config';
import { LiveStation, StationError } from './station';

export interface OpenStationOptions {
  dataDir: string;
  mode: SystemInfo['mode'];
  electronVersion?: string | null;
  /** Watch USB devices and drive line outputs (off in tests that do not need hardware). */
  usb?: boolean;
}

const LAST_SOURCE_KEY = 'station.last_source';
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
  const devices = new DeviceService();
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
    if (last && live.state().model) {
      await startSource(last, actor);
      return;
    }
    // A new station shows live inspection at once: generated demo parts and a model fitted on them.
    await startDemoLine(live, paths.root);
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
    readImage,
    startLine,
    setHeadlessUrl(url) {
      headlessUrl = url;
    },
    async close() {
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
