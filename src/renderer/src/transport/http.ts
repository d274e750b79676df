// Browser transport for headless mode: RPC over HTTP POST, events over one WebSocket.
// Written against injected fetch/WebSocket so unit tests can drive it without a server.
import type { ApiEventName, ApiEvents, ApiMethod, ApiRequest, ApiResults, StationClient } from '@shared/api';
import { ApiError, type ApiErrorBody } from '@shared/errors';
import { ConnectionMonitor } from './connection';
import { ConnectionError } from './errors';

export interface HttpClientOptions {
  /** Origin + path prefix, e.g. "http://10.0.0.5:8080". No trailing slash. */
  baseUrl: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Back-off schedule in ms; the last value repeats. */
  backoffMs?: number[];
  /** 0..1 random spread on each delay so many browsers do not reconnect in lock-step. */
  jitter?: number;
  random?: () => number;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface HttpStationClient extends StationClient {
  readonly connection: ConnectionMonitor;
  close(): void;
}

const ERROR_CODES: ReadonlySet<string> = new Set<ApiErrorBody['code']>([
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'internal',
]);

const UNAUTHORIZED_HINT =
  'Access token required: open the URL printed by the station (it ends with ?token=…) in this browser.';

export function createHttpClient(options: HttpClientOptions): HttpStationClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const WS = options.WebSocket ?? globalThis.WebSocket;
  const backoff = options.backoffMs ?? [500, 1000, 2000, 4000, 8000, 15000];
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const setT = options.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const clearT = options.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as number));

  const connection = new ConnectionMonitor({ kind: 'connecting' });
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const wsUrl = options.baseUrl.replace(/^http/, 'ws') + '/api/events';

  let socket: WebSocket | null = null;
  let attempt = 0;
  let retryTimer: unknown = null;
  let closed = false;

  function markUnauthorized(message: string): void {
    connection.set({ kind: 'unauthorized', message });
    // Reconnecting would hammer the server with requests that cannot succeed.
    if (retryTimer !== null) clearT(retryTimer);
    retryTimer = null;
    socket?.close();
  }

  function scheduleReconnect(): void {
    if (closed || connection.get().kind === 'unauthorized') return;
    const base = backoff[Math.min(attempt, backoff.length - 1)];
    const delay = Math.round(base * (1 + jitter * (random() * 2 - 1)));
    attempt += 1;
    connection.set({ kind: 'reconnecting', attempt, retryAt: now() + delay });
    retryTimer = setT(() => {
      retryTimer = null;
      openSocket();
    }, delay);
  }

  function openSocket(): void {
    if (closed) return;
    let ws: WebSocket;
    try {
      ws = new WS(wsUrl);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      connection.set({ kind: 'online' });
    };
    ws.onmessage = (msg: MessageEvent) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(msg.data));
      } catch {
        return; // A malformed frame must not take the UI down; the next one may be fine.
      }
      if (typeof parsed !== 'object' || parsed === null) return;
      const { event, payload } = parsed as { event?: unknown; payload?: unknown };
      if (typeof event !== 'string') return;
      for (const l of [...(listeners.get(event) ?? [])]) {
        try {
          l(payload);
        } catch (err) {
          console.error(`Listener for ${event} failed`, err);
        }
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      scheduleReconnect();
    };
    // onerror is always followed by onclose, which does the work.
    ws.onerror = () => undefined;
  }

  async function call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResults[M]> {
    let res: Response;
    try {
      res = await doFetch(`${options.baseUrl}/api/rpc/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request ?? {}),
        credentials: 'same-origin',
      });
    } catch {
      throw new ConnectionError(`Cannot reach the station (${method}): the connection is down.`);
    }
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      // Proxies and crashed servers answer with HTML or nothing; handled below by status.
    }
    if (res.status === 401) {
      const message = readError(body)?.message ?? UNAUTHORIZED_HINT;
      markUnauthorized(message);
      throw new ApiError('unauthorized', message);
    }
    if (!res.ok) {
      const err = readError(body);
      if (err) throw new ApiError(err.code, err.message);
      throw new ApiError('internal', `The station answered ${res.status} ${res.statusText} to ${method}.`);
    }
    if (typeof body !== 'object' || body === null || !('result' in body)) {
      throw new ApiError('internal', `The station sent a malformed answer to ${method}.`);
    }
    // The event socket is admitted by the session cookie: open it again as the new person.
    if (method === 'auth.signIn' || method === 'auth.signOut' || method === 'auth.changePassword')
      reopenSocket();
    return (body as { result: ApiResults[M] }).result;
  }

  function reopenSocket(): void {
    if (closed) return;
    if (retryTimer !== null) clearT(retryTimer);
    retryTimer = null;
    attempt = 0;
    const old = socket;
    socket = null;
    if (old) {
      old.onclose = null;
      old.close();
    }
    openSocket();
  }

  function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  openSocket();

  return {
    call,
    on,
    connection,
    close() {
      closed = true;
      if (retryTimer !== null) clearT(retryTimer);
      socket?.close();
    },
  };
}

function readError(body: unknown): ApiErrorBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return null;
  return {
    code: typeof code === 'string' && ERROR_CODES.has(code) ? (code as ApiErrorBody['code']) : 'internal',
    message,
  };
}
