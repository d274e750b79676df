// Both transports over a fresh station: the headless HTTP + WebSocket server, and the Electron
// IPC binding driven through an in-memory ipcMain/ipcRenderer pair (the Electron binary is not
// needed to test the binding and the preload's client). Shared by the API integration suites.
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { StationClient } from '@shared/api';
import { createIpcClient, type IpcRendererLike } from '@shared/ipc';
import { bindIpc, type IpcMainLike } from '../../../src/main/api/ipc-binding';
import type { HeadlessServer } from '../../../src/main/server/http-server';
import { startStationServer } from '../../../src/main/server/station-server';
import { openStation, type OpenStationOptions, type Station } from '../../../src/main/station-services';
import { createHttpClient } from '../../../src/renderer/src/transport/http';

export interface Harness {
  /** Signed in as the administrator (password ADMIN_PASSWORD). */
  client: StationClient;
  station: Station;
  /** A further connection with its own session, not signed in. */
  connect(): Promise<StationClient>;
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'admin-password-1';

/**
 * Signs in with the first administrator's one-time password and chooses ADMIN_PASSWORD; a station
 * reopened over a data directory whose administrator already did so signs in with ADMIN_PASSWORD.
 */
async function signInFirstAdmin(station: Station, client: StationClient): Promise<void> {
  if (!station.firstAdminPassword) {
    await client.call('auth.signIn', { name: 'admin', password: ADMIN_PASSWORD });
    return;
  }
  await client.call('auth.signIn', { name: 'admin', password: station.firstAdminPassword });
  await client.call('auth.changePassword', {
    oldPassword: station.firstAdminPassword,
    newPassword: ADMIN_PASSWORD,
  });
}

/** fetch and WebSocket that keep one cookie jar, as a browser does for one site. */
function cookieJar(): { fetch: typeof fetch; WebSocket: typeof globalThis.WebSocket } {
  const jar = new Map<string, string>();
  const header = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const jarFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.size > 0) headers.set('cookie', header());
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [k, ...v] = pair.split('=');
      const value = v.join('=');
      if (/Max-Age=0/i.test(line) || value === '') jar.delete(k.trim());
      else jar.set(k.trim(), value);
    }
    return res;
  };
  class JarSocket extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie: header() } });
    }
  }
  return { fetch: jarFetch, WebSocket: JarSocket as unknown as typeof globalThis.WebSocket };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function httpHarness(
  options: Partial<OpenStationOptions> = {},
): Promise<Harness & { server: HeadlessServer }> {
  const station = await openStation({
    dataDir: tempDir('contract-http-'),
    mode: 'headless',
    usb: false,
    ...options,
  });
  const staticDir = tempDir('contract-static-');
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  const server: HeadlessServer = await startStationServer(station, {
    staticDir,
    host: '127.0.0.1',
    port: 0,
    tokenHash: null,
  });
  const clients: Array<ReturnType<typeof createHttpClient>> = [];
  const connect = async (): Promise<StationClient> => {
    const c = createHttpClient({ baseUrl: server.url.replace(/\/$/, ''), ...cookieJar() });
    clients.push(c);
    return c;
  };
  const client = await connect();
  await signInFirstAdmin(station, client);
  return {
    client,
    station,
    server,
    connect,
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await station.close();
    },
  };
}

/** ipcMain.handle / ipcRenderer.invoke and webContents.send / ipcRenderer.on, in memory. */
export function ipcPair(senderUrl: string): {
  main: IpcMainLike;
  renderer: IpcRendererLike;
  webContents: EventEmitter;
} {
  const handlers = new Map<string, (e: { senderFrame: { url: string } }, ...a: unknown[]) => unknown>();
  const toRenderer = new EventEmitter();
  return {
    main: {
      handle: (channel, listener) => void handlers.set(channel, listener),
      removeHandler: (channel) => void handlers.delete(channel),
    },
    renderer: {
      // Structured clone is what Electron applies to IPC payloads in both directions.
      invoke: async (channel, ...args) =>
        structuredClone(
          await handlers.get(channel)!({ senderFrame: { url: senderUrl } }, ...structuredClone(args)),
        ),
      on: (channel, l) => void toRenderer.on(channel, l),
      removeListener: (channel, l) => void toRenderer.off(channel, l),
    },
    webContents: toRenderer,
  };
}

export async function ipcHarness(senderUrl = 'file:///app/out/renderer/index.html'): Promise<Harness> {
  const station = await openStation({ dataDir: tempDir('contract-ipc-'), mode: 'electron', usb: false });
  const unbinds: Array<() => void> = [];
  // Each desktop window binding holds one session, so every further client gets its own pair.
  const connect = async (): Promise<StationClient> => {
    const pair = ipcPair(senderUrl);
    unbinds.push(
      bindIpc(pair.main, {
        handlers: station.handlers,
        events: station.events,
        isTrustedSender: (url) => url.startsWith('file:///app/out/renderer/'),
        targets: () => [
          {
            send: (ch, msg) => pair.webContents.emit(ch, {}, structuredClone(msg)),
            isDestroyed: () => false,
          },
        ],
        access: station.access,
      }),
    );
    return createIpcClient(pair.renderer);
  };
  const client = await connect();
  // A harness for an untrusted frame is there to be refused; it cannot sign in either.
  if (senderUrl.startsWith('file:///app/out/renderer/')) await signInFirstAdmin(station, client);
  return {
    client,
    station,
    connect,
    async close() {
      for (const unbind of unbinds) unbind();
      await station.close();
    },
  };
}

/**
 * A named account with a role, created by the administrator, signed in on its own connection
 * and past its first-sign-in password change. Its password is `${name}-password`.
 */
export async function personClient(
  h: Harness,
  name: string,
  role: 'operator' | 'qa' | 'engineer' | 'admin',
): Promise<StationClient> {
  const initial = `${name}-initial-1`;
  await h.client.call('users.create', {
    name,
    displayName: name[0].toUpperCase() + name.slice(1),
    role,
    password: initial,
    actor: 'ignored',
    reason: 'test account',
  });
  const c = await h.connect();
  await c.call('auth.signIn', { name, password: initial });
  await c.call('auth.changePassword', { oldPassword: initial, newPassword: `${name}-password` });
  return c;
}
