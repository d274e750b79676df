// Opens every core service over one data directory and builds the API handlers on top.
// The Electron app, the headless server and the tests all start the station through here,
// so there is exactly one wiring to get right.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, type ApiParsedRequest, type SystemInfo } from '@shared/api';
import { EventBus } from './api/event-bus';
import type { ApiHandlers } from './api/dispatch';
import { APP_VERSION } from './app-version';
import { listExecutionProviders, onnxRuntimeVersion } from './runtime';
import { AuditTrail } from './storage/audit-trail';
import { openDatabase, schemaVersion, type Db } from './storage/database';
import { resolveDataDir, type DataDirPaths } from './storage/data-dir';
import { ImageStore } from './storage/image-store';
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
  audit.onAppend((row) => events.emit('audit.appended', { id: row.id, action: row.action, actor: row.actor }));
  const settings = new SettingsStore(db, audit);
  const images = await ImageStore.open(paths.images);
  let headlessUrl: string | null = null;
  const devices = new DeviceService();
  if (opts.usb !== false) {
    await devices.start();
    devices.onChange((e) => events.emit('devices.changed', e));
  }
  const live = new LiveStation({
    db,
    audit,
    settings,
    images,
    modelsDir: paths.models,
    events: (name, payload) => events.emit(name, payload as never),
    onVerdict: (verdict) => devices.handleVerdict(verdict),
  });

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
    'station.lastResult': () => live.lastResult(),
    'station.start': (req: ApiParsedRequest<'station.start'>) =>
      stationCall(async () => {
        if (!req.source) {
          await startLine(req.actor);
          return live.state();
        }
        const parsed = sourceConfigSchema.safeParse(req.source);
        if (!parsed.success) {
          throw new ApiError('bad_request', `Invalid source: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
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
