// Opens every core service over one data directory and builds the API handlers on top.
// The Electron app, the headless server and the tests all start the station through here,
// so there is exactly one wiring to get right.
import { statSync } from 'node:fs';
import type { ApiParsedRequest, SystemInfo } from '@shared/api';
import { EventBus } from './api/event-bus';
import type { ApiHandlers } from './api/dispatch';
import { APP_VERSION } from './app-version';
import { listExecutionProviders, onnxRuntimeVersion } from './runtime';
import { AuditTrail } from './storage/audit-trail';
import { openDatabase, schemaVersion, type Db } from './storage/database';
import { resolveDataDir, type DataDirPaths } from './storage/data-dir';
import { ImageStore } from './storage/image-store';
import { SettingsStore } from './storage/settings-store';

export interface OpenStationOptions {
  dataDir: string;
  mode: SystemInfo['mode'];
  electronVersion?: string | null;
}

export interface Station {
  paths: DataDirPaths;
  db: Db;
  audit: AuditTrail;
  settings: SettingsStore;
  images: ImageStore;
  events: EventBus;
  handlers: ApiHandlers;
  /** The headless server tells the station its URL once it listens. */
  setHeadlessUrl(url: string | null): void;
  close(): void;
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
  };

  return {
    paths,
    db,
    audit,
    settings,
    images,
    events,
    handlers,
    setHeadlessUrl(url) {
      headlessUrl = url;
    },
    close() {
      db.close();
    },
  };
}
