// Headless transport: the same API as the Electron IPC bridge, over HTTP (requests) and a
// WebSocket (events), plus the renderer build as static files.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { z } from 'zod';
import { fleetFilter, inspectionFilter, type ApiErrorBody, type FleetFilter } from '@shared/api';
import { dispatch, errorBodyOf, type ApiHandlers } from '../api/dispatch';
import type { EventBus } from '../api/event-bus';
import type { AccessControl } from '../users/access';
import {
  hostHeaderAllowed,
  isLoopbackHost,
  presentedSession,
  presentedToken,
  sameOriginRequest,
  sessionCookie,
  TOKEN_COOKIE,
  TOKEN_COOKIE_MAX_AGE_S,
  tokenMatches,
} from './auth';
import { CONTENT_SECURITY_POLICY, serveStatic } from './static-files';

export interface HeadlessServerOptions {
  handlers: ApiHandlers;
  events: EventBus;
  /** Folder with the built renderer (index.html and assets). */
  staticDir: string;
  host: string;
  port: number;
  /** sha256 of the access token; required when host is not a loopback address. */
  tokenHash: string | null;
  /** Image-store files and CSV export over plain GET (same auth as the API); off when absent. */
  files?: HeadlessFileRoutes;
  /** Accounts and roles; each browser's session rides in an HttpOnly cookie. */
  access?: AccessControl;
}

export interface HeadlessFileRoutes {
  /** Must refuse anything that is not an image-store ref (DomainError invalid / not_found, or ApiError). */
  readImage(ref: string): Promise<{ data: Buffer; mime: string }>;
  /** CSV text chunks for the filtered inspections, header first (a station). */
  csvLines?(filter: ReturnType<typeof inspectionFilter.parse>): Iterable<string> | AsyncIterable<string>;
  /** CSV of the fleet's inspections at /api/export/fleet.csv (the fleet server). */
  fleetCsvLines?(filter: FleetFilter): AsyncIterable<string>;
}

export interface HeadlessServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const STATUS_FOR: Record<ApiErrorBody['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  internal: 500,
};

export async function startHeadlessServer(opts: HeadlessServerOptions): Promise<HeadlessServer> {
  const loopback = isLoopbackHost(opts.host);
  if (!loopback && !opts.tokenHash) {
    throw new Error(`Refusing to listen on ${opts.host} without an access token.`);
  }

  const authorised = (req: IncomingMessage, url: URL): boolean =>
    opts.tokenHash === null || tokenMatches(presentedToken(req, url), opts.tokenHash);

  const server = createServer((req, res) => {
    // Whatever goes wrong ends this request with a 500; it never reaches the process.
    handleRequest(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) res.destroy();
      else sendJson(res, 500, { error: { code: 'internal', message: errorText(err) } });
    });
  });
  // A client that trickles headers or a body must not hold a connection for Node's 5-minute default.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    if (!hostHeaderAllowed(req, loopback)) {
      return sendJson(res, 403, { error: { code: 'unauthorized', message: 'Host header not allowed.' } });
    }
    const url = requestUrl(req);
    if (!url)
      return sendJson(res, 400, { error: { code: 'bad_request', message: 'Malformed request target.' } });

    // The UI's files hold no data, so they are served to anyone who reaches the port: that way a
    // browser without the token sees the station's own "access token required" page.
    const isApi = url.pathname.startsWith('/api/');
    if (isApi && !authorised(req, url)) {
      return sendJson(res, 401, {
        error: {
          code: 'unauthorized',
          message: 'Access token required: open the URL printed by the station (it ends in ?token=…).',
        },
      });
    }
    // A token passed in the query becomes a cookie so the page's own requests carry it.
    const queryToken = url.searchParams.get('token');
    if (queryToken && opts.tokenHash && tokenMatches(queryToken, opts.tokenHash)) {
      res.setHeader(
        'Set-Cookie',
        `${TOKEN_COOKIE}=${encodeURIComponent(queryToken)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${TOKEN_COOKIE_MAX_AGE_S}`,
      );
    }

    if (url.pathname === '/api/health') {
      return sendJson(res, 200, { result: { ok: true } });
    }
    if (url.pathname.startsWith('/api/rpc/')) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendJson(res, 405, { error: { code: 'bad_request', message: 'Use POST for API calls.' } });
      }
      // Every API call can change state (or is indistinguishable from one that can), so each must
      // prove it comes from the station's own page: a foreign Origin / Sec-Fetch-Site is refused,
      // and the JSON content type (required below, even for an empty body) cannot be sent
      // cross-site without a CORS preflight, which this server never grants.
      const origin = sameOriginRequest(req);
      if (!origin.ok) {
        res.setHeader('Connection', 'close');
        return sendJson(res, 403, {
          error: { code: 'unauthorized', message: `Cross-site request refused: ${origin.reason}.` },
        });
      }
      const method = url.pathname.slice('/api/rpc/'.length);
      const body = await readJsonBody(req);
      if (!body.ok) {
        // The rest of an oversized body is never read, so this connection cannot be reused.
        if (body.status === 413 || body.status === 415) res.setHeader('Connection', 'close');
        return sendJson(res, body.status, { error: { code: 'bad_request', message: body.message } });
      }
      const access = opts.access
        ? { control: opts.access, caller: { session: presentedSession(req), local: false } }
        : undefined;
      const outcome = await dispatch(opts.handlers, method, body.value, access);
      if (outcome.ok && outcome.session !== undefined)
        res.setHeader('Set-Cookie', sessionCookie(outcome.session));
      if (outcome.ok) return sendJson(res, 200, { result: outcome.result });
      return sendJson(res, STATUS_FOR[outcome.error.code], { error: outcome.error });
    }
    if (opts.access && url.pathname !== '/api/health') {
      // Images and CSV carry the same data as the API calls they mirror, so the same roles apply.
      const mirror = url.pathname.startsWith('/api/images/')
        ? 'images.get'
        : url.pathname === '/api/export/inspections.csv'
          ? 'inspections.exportCsv'
          : url.pathname === '/api/export/fleet.csv'
            ? 'fleet.exportCsv'
            : null;
      const admitted = mirror
        ? opts.access.admit(mirror, {}, { session: presentedSession(req), local: false })
        : null;
      if (admitted && !admitted.ok) return sendJson(res, 403, { error: errorBodyOf(admitted.error) });
    }
    if (opts.files && url.pathname.startsWith('/api/images/')) {
      return serveImage(opts.files, url, req, res);
    }
    const csvLines = opts.files?.csvLines?.bind(opts.files);
    if (csvLines && url.pathname === '/api/export/inspections.csv') {
      return serveCsv(inspectionFilter, csvLines, 'inspections', url, req, res);
    }
    const fleetLines = opts.files?.fleetCsvLines?.bind(opts.files);
    if (fleetLines && url.pathname === '/api/export/fleet.csv') {
      return serveCsv(fleetFilter, fleetLines, 'fleet-inspections', url, req, res);
    }
    if (url.pathname.startsWith('/api/')) {
      return sendJson(res, 404, { error: { code: 'not_found', message: `No API route ${url.pathname}.` } });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { error: { code: 'bad_request', message: 'Only GET is served here.' } });
    }
    const served = await serveStatic(opts.staticDir, url.pathname, res);
    if (!served) sendJson(res, 404, { error: { code: 'not_found', message: 'Not found.' } });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake emits 'error' on the raw socket; unhandled, it would
    // end the process.
    socket.on('error', () => socket.destroy());
    const refuse = (status: string): void => {
      if (!socket.destroyed)
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      const url = requestUrl(req);
      if (!url || url.pathname !== '/api/events') return refuse('404 Not Found');
      if (!hostHeaderAllowed(req, loopback)) return refuse('403 Forbidden');
      if (!sameOriginRequest(req).ok) return refuse('403 Forbidden');
      if (!authorised(req, url)) return refuse('401 Unauthorized');
      if (
        opts.access &&
        !opts.access.admit('station.state', {}, { session: presentedSession(req), local: false }).ok
      )
        return refuse('401 Unauthorized');
      // ws answers malformed Sec-WebSocket-* headers with 400 itself.
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        // Protocol errors from the client (unmasked or oversized frames) close that socket;
        // without a listener they would be thrown.
        ws.on('error', () => ws.terminate());
        // The event channel is one-way; anything the client sends is ignored.
        ws.on('message', () => undefined);
      });
    } catch {
      refuse('400 Bad Request');
    }
  });
  const unsubscribe = opts.events.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostForUrl}:${address.port}/`,
    server,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function serveImage(
  files: HeadlessFileRoutes,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendJson(res, 405, { error: { code: 'bad_request', message: 'Use GET for images.' } });
  }
  // The raw path, decoded once: "%2e%2e%2f" must arrive at the ref check as "../" and fail there.
  let ref: string;
  try {
    ref = decodeURIComponent(url.pathname.slice('/api/images/'.length));
  } catch {
    return sendJson(res, 400, { error: { code: 'bad_request', message: 'Malformed image reference.' } });
  }
  try {
    const image = await files.readImage(ref);
    res.writeHead(200, {
      'Content-Type': image.mime,
      'Content-Length': image.data.length,
      // Content-addressed: the bytes behind a ref never change.
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    res.end(req.method === 'HEAD' ? undefined : image.data);
  } catch (err) {
    // The station's reader throws domain errors, the fleet server's ApiErrors; both map here.
    const error = errorBodyOf(err);
    const known = error.code === 'bad_request' || error.code === 'not_found' || error.code === 'conflict';
    sendJson(res, known ? STATUS_FOR[error.code] : 500, {
      error: known ? error : { code: 'internal', message: error.message },
    });
  }
}

/** Query → filter: verdicts=FAIL,REVIEW&modelId=…&productId=…&runId=…&from=…&to=…&minScore=…&maxScore=…&reviewed=true */
export function filterFromQuery(params: URLSearchParams): ReturnType<typeof inspectionFilter.safeParse> {
  return queryFilter(inspectionFilter, params);
}

function queryFilter<S extends z.ZodType>(
  schema: S,
  params: URLSearchParams,
): z.ZodSafeParseResult<z.output<S>> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of params) {
    if (k === 'token') continue;
    if (k === 'verdicts') raw.verdicts = v.split(',').filter(Boolean);
    else if (k === 'minScore' || k === 'maxScore') raw[k] = v.trim() === '' ? Number.NaN : Number(v);
    else if (k === 'reviewed') raw.reviewed = v === 'true' ? true : v === 'false' ? false : v;
    else if (k === 'runId') raw.runId = /^\d+$/.test(v.trim()) ? Number(v) : v;
    else raw[k] = v;
  }
  return schema.safeParse(raw);
}

async function serveCsv<S extends z.ZodType>(
  schema: S,
  lines: (filter: z.output<S>) => Iterable<string> | AsyncIterable<string>,
  name: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    return sendJson(res, 405, { error: { code: 'bad_request', message: 'Use GET for the export.' } });
  }
  const parsed = queryFilter(schema, url.searchParams);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`)
      .join('; ');
    return sendJson(res, 400, {
      error: { code: 'bad_request', message: `Invalid export filter: ${message}` },
    });
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}-${stamp}.csv"`,
    'Cache-Control': 'no-store',
  });
  // One keyset page per chunk; waiting for 'drain' keeps memory flat on 100 000+ rows and lets
  // other requests run between pages.
  for await (const chunk of lines(parsed.data)) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      // A client that goes away never drains; 'close' ends the wait and the check above the loop.
      // Whichever fires first removes the other, or every slow chunk would leave a listener behind.
      await new Promise<void>((ok) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          ok();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
    await new Promise<void>((ok) => setImmediate(ok));
  }
  res.end();
}

function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; message: string };

function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://station.invalid');
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Media type without parameters: "application/json; charset=utf-8" → "application/json". */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  // Checked before the body, and for empty bodies too: a "simple" cross-site POST (text/plain,
  // form encodings) is exactly a request without this type.
  if (mediaType(req.headers['content-type']) !== 'application/json') {
    return { ok: false, status: 415, message: 'API requests must be sent as application/json.' };
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    return { ok: false, status: 413, message: 'Request body too large.' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: 'Request body too large.' };
    chunks.push(chunk);
  }
  if (size === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, message: 'Request body is not valid JSON.' };
  }
}
