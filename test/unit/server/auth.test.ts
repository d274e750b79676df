import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  generateToken,
  hashToken,
  hostHeaderAllowed,
  isLoopbackHost,
  presentedToken,
  sameOriginRequest,
  tokenMatches,
} from '../../../src/main/server/auth';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('server auth', () => {
  it('recognises loopback hosts only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '192.168.1.10', '::', 'example.com', '127.0.0.1.evil.com']) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });

  it('matches only the token whose hash is stored', () => {
    const token = generateToken();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const stored = hashToken(token);
    expect(tokenMatches(token, stored)).toBe(true);
    expect(tokenMatches(`${token}x`, stored)).toBe(false);
    expect(tokenMatches(null, stored)).toBe(false);
    expect(tokenMatches('', stored)).toBe(false);
  });

  it('reads the token from a bearer header, the query or the cookie', () => {
    const url = new URL('http://h/?token=q');
    expect(presentedToken(req({ authorization: 'Bearer abc' }), url)).toBe('abc');
    expect(presentedToken(req({}), url)).toBe('q');
    expect(presentedToken(req({ cookie: 'a=1; station_token=c%2B' }), new URL('http://h/'))).toBe('c+');
    expect(presentedToken(req({}), new URL('http://h/'))).toBeNull();
  });

  it('rejects foreign Host headers on a loopback bind (DNS rebinding)', () => {
    expect(hostHeaderAllowed(req({ host: '127.0.0.1:8737' }), true)).toBe(true);
    expect(hostHeaderAllowed(req({ host: 'localhost:8737' }), true)).toBe(true);
    expect(hostHeaderAllowed(req({ host: '[::1]:8737' }), true)).toBe(true);
    expect(hostHeaderAllowed(req({ host: 'attacker.example:8737' }), true)).toBe(false);
    expect(hostHeaderAllowed(req({}), true)).toBe(false);
    expect(hostHeaderAllowed(req({ host: 'station.plant.local' }), false)).toBe(true);
  });

  it('refuses Host headers that do not parse as host[:port]', () => {
    for (const host of ['127.0.0.1:99999999', '[::1', '127.0.0.1/x', 'a@127.0.0.1', '']) {
      expect(hostHeaderAllowed(req({ host }), true)).toBe(false);
    }
  });

  it('does not throw on a cookie with a broken %-escape; the token is simply absent', () => {
    expect(presentedToken(req({ cookie: 'station_token=%E0%A4%A' }), new URL('http://h/'))).toBeNull();
  });

  it('accepts same-origin and non-browser requests, refuses foreign, null and malformed origins', () => {
    const host = '127.0.0.1:8737';
    expect(sameOriginRequest(req({ host })).ok).toBe(true);
    expect(sameOriginRequest(req({ host, origin: 'http://127.0.0.1:8737' })).ok).toBe(true);
    expect(
      sameOriginRequest(req({ host, origin: 'http://127.0.0.1:8737', 'sec-fetch-site': 'same-origin' })).ok,
    ).toBe(true);
    const foreign: Array<Record<string, string>> = [
      { origin: 'null' },
      { origin: 'http://evil.example' },
      { origin: 'http://127.0.0.1:9999' },
      { origin: 'file:///tmp/a.html' },
      { origin: 'http://[' },
      { origin: 'http://127.0.0.1:8737, http://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of foreign) {
      expect(sameOriginRequest(req({ host, ...headers })).ok, JSON.stringify(headers)).toBe(false);
    }
    expect(sameOriginRequest(req({ origin: 'http://127.0.0.1:8737' })).ok).toBe(false);
  });
});
