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
import { startHeadlessServer, type HeadlessServer } from '../../../src/main/server/http-server';
import { openStation, type OpenStationOptions, type Station } from '../../../src/main/station-services';
import { createHttpClient } from '../../../src/renderer/src/transport/http';

export interface Harness {
  client: StationClient;
  station: Station;
  close(): Promise<void>;
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
  const server: HeadlessServer = await startHeadlessServer({
    handlers: station.handlers,
    events: station.events,
    staticDir,
    host: '127.0.0.1',
    port: 0,
    tokenHash: null,
    files: {
      readImage: (ref) => station.readImage(ref),
      csvLines: (filter) => station.reads.csvLines(filter),
    },
  });
  const client = createHttpClient({
    baseUrl: server.url.replace(/\/$/, ''),
    fetch,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  return {
    client,
    station,
    server,
    async close() {
      client.close();
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
  const pair = ipcPair(senderUrl);
  const unbind = bindIpc(pair.main, {
    handlers: station.handlers,
    events: station.events,
    isTrustedSender: (url) => url.startsWith('file:///app/out/renderer/'),
    targets: () => [
      { send: (ch, msg) => pair.webContents.emit(ch, {}, structuredClone(msg)), isDestroyed: () => false },
    ],
  });
  return {
    client: createIpcClient(pair.renderer),
    station,
    async close() {
      unbind();
      await station.close();
    },
  };
}
