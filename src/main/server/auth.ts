// Access control for the headless server. Loopback binds are open to local users only;
// any other bind needs a token, because the station's API can change thresholds and models.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'station_token';
/** Signed-in person; a browser-session cookie, so closing the browser signs out. */
export const SESSION_COOKIE = 'station_session';
/** The access token is remembered by the browser for a year, as the token page promises. */
export const TOKEN_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

export function sessionCookie(token: string | null): string {
  return token === null
    ? `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`
    : `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

export function presentedSession(req: IncomingMessage): string | null {
  return readCookie(req.headers.cookie, SESSION_COOKIE);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token with the stored hash. */
export function tokenMatches(presented: string | null, storedHash: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(hashToken(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  return readCookie(req.headers.cookie, TOKEN_COOKIE);
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      // A malformed escape is a wrong token, not a server fault.
      return null;
    }
  }
  return null;
}

/**
 * On a loopback bind, a page on another site could still reach us through DNS rebinding;
 * accepting only loopback Host names closes that door.
 */
export function hostHeaderAllowed(req: IncomingMessage, boundToLoopback: boolean): boolean {
  const host = req.headers.host;
  if (!host) return false;
  // Parsed like a URL authority, so a bad port, a path or user info in Host is refused too.
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    return false;
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return false;
  return !boundToLoopback || isLoopbackHost(url.hostname);
}

export type OriginCheck = { ok: true } | { ok: false; reason: string };

/**
 * Proof that a state-changing request comes from the station's own pages. Browsers always send
 * Sec-Fetch-Site (modern ones) and Origin (on every POST and WebSocket handshake), and a page
 * cannot forge either; a request with neither comes from a non-browser client (CLI, curl), which
 * a cross-site page cannot drive. `Origin: null` (sandboxed iframes, file:// pages) is foreign.
 */
export function sameOriginRequest(req: IncomingMessage): OriginCheck {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, reason: `Sec-Fetch-Site is "${String(site).slice(0, 40)}"` };
  }
  const origin = req.headers.origin;
  if (origin === undefined) return { ok: true };
  const originHost = httpHostOf(origin);
  if (!originHost) return { ok: false, reason: `Origin "${origin.slice(0, 80)}" is not a web origin` };
  const host = req.headers.host ? httpHostOf(`http://${req.headers.host}`) : null;
  if (!host || originHost !== host) {
    return { ok: false, reason: `Origin ${origin.slice(0, 80)} is not this station` };
  }
  return { ok: true };
}

/** Normalised host[:port] of an http(s) URL, or null for anything else (including "null"). */
function httpHostOf(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '')) return null;
  return url.host;
}
