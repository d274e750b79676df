// Composition root of the fleet server (`npm run serve -- --fleet postgres://…`): the station's
// browser UI over the central database. Central accounts, the fleet server's settings and its own
// audit trail live in a small SQLite file in its data directory (fleet-server.db), not in
// PostgreSQL: the stations write PostgreSQL with their own role, and a station must never be able
// to mint itself a QA account on the server that reviews it.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fleetServerHandlers, fleetCsvLines, readCentralImage } from '../api/fleet-server-handlers';
import { EventBus } from '../api/event-bus';
import { CentralStore, redactUrl } from '../fleet/central-store';
import { AuditTrail, openDatabase, type Db } from '../storage';
import { SettingsStore } from '../storage/settings-store';
import { AccessControl } from '../users/access';
import { SessionStore } from '../users/sessions';
import { UserStore } from '../users/user-store';
import { resolveAccessToken } from './access-token';
import { startHeadlessServer, type HeadlessServer } from './http-server';

export const FLEET_SERVER_DB = 'fleet-server.db';

export interface FleetServerOptions {
  centralUrl: string;
  dataDir: string;
  staticDir: string;
  host: string;
  port: number;
  newToken?: boolean;
  envToken?: string;
}

export interface FleetServer {
  url: string;
  http: HeadlessServer;
  store: CentralStore;
  db: Db;
  users: UserStore;
  firstAdminPassword: string | null;
  freshToken: string | null;
  tokenRequired: boolean;
  close(): Promise<void>;
}

export async function startFleetServer(o: FleetServerOptions): Promise<FleetServer> {
  const root = resolve(o.dataDir);
  mkdirSync(root, { recursive: true });
  const store = await CentralStore.open({ connectionString: o.centralUrl });
  const db = openDatabase(join(root, FLEET_SERVER_DB));
  try {
    const audit = new AuditTrail(db);
    const settings = new SettingsStore(db, audit);
    const users = new UserStore(settings, audit);
    const sessions = new SessionStore();
    const firstAdminPassword = users.ensureFirstAdmin();
    const access = new AccessControl(users, sessions, audit, firstAdminPassword);
    const { tokenHash, freshToken } = resolveAccessToken(settings, {
      host: o.host,
      newToken: o.newToken ?? false,
      envToken: o.envToken,
    });
    let url: string | null = null;
    const handlers = fleetServerHandlers({
      store,
      audit,
      settings,
      users,
      sessions,
      access,
      dataDir: root,
      databasePath: redactUrl(o.centralUrl),
      serverUrl: () => url,
    });
    const http = await startHeadlessServer({
      handlers,
      events: new EventBus(),
      staticDir: o.staticDir,
      host: o.host,
      port: o.port,
      tokenHash,
      access,
      files: {
        readImage: (ref) => readCentralImage(store, ref),
        fleetCsvLines: (filter) => fleetCsvLines(store, filter),
      },
    });
    url = http.url;
    return {
      url: http.url,
      http,
      store,
      db,
      users,
      firstAdminPassword,
      freshToken,
      tokenRequired: tokenHash !== null,
      async close() {
        await http.close();
        await store.close();
        db.close();
      },
    };
  } catch (err) {
    await store.close();
    db.close();
    throw err;
  }
}
