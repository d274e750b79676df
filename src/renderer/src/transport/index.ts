// Picks the transport: Electron's preload bridge when present, HTTP + WebSocket otherwise.
import type { StationClient } from '@shared/api';
import { ConnectionMonitor } from './connection';
import { wrapBridge } from './bridge';
import { createHttpClient } from './http';

export { ConnectionMonitor, type ConnectionState } from './connection';
export { ConnectionError, describeError, isApiError } from './errors';

export interface Station {
  client: StationClient;
  connection: ConnectionMonitor;
  mode: 'electron' | 'browser';
}

declare global {
  interface Window {
    /** Set by the Electron preload; undefined in a plain browser (headless mode). */
    station?: StationClient;
  }
}

export function connectStation(): Station {
  if (window.station) {
    return {
      client: wrapBridge(window.station),
      connection: new ConnectionMonitor({ kind: 'local' }),
      mode: 'electron',
    };
  }
  const client = createHttpClient({ baseUrl: window.location.origin });
  return { client, connection: client.connection, mode: 'browser' };
}
