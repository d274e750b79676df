// One contract suite, two transports: the HTTP + WebSocket server used by headless mode and
// the Electron IPC bridge (driven through an in-memory ipcMain/ipcRenderer pair, since the
// Electron binary is not needed to test the binding and the preload's client).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiError } from '@shared/api';
import { startHeadlessServer, type HeadlessServer } from '../../../src/main/server/http-server';
import { openStation, type Station } from '../../../src/main/station-services';
import { httpHarness, ipcHarness, tempDir, type Harness } from './harness';

function contractSuite(name: string, make: () => Promise<Harness>): void {
  describe(`API contract over ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => {
      await h.close();
    });

    it('reports real system facts', async () => {
      const info = await h.client.call('system.info', {});
      expect(info.onnxRuntimeVersion).toMatch(/^\d+\.\d+\.\d+/);
      const cpu = info.executionProviders.find((p) => p.name === 'cpu');
      expect(cpu?.available).toBe(true);
      expect(info.executionProviders.map((p) => p.name).sort()).toEqual(
        ['coreml', 'cpu', 'cuda', 'dml', 'webgpu'].sort(),
      );
      expect(info.databasePath.startsWith(info.dataDir)).toBe(true);
      expect(info.databaseSizeBytes).toBeGreaterThan(0);
      expect(info.schemaVersion).toBeGreaterThanOrEqual(1);
    });

    it('updates settings with an audit row, announced as an event', async () => {
      const appended = new Promise<{ action: string; actor: string }>((resolve) => {
        const off = h.client.on('audit.appended', (e) => {
          off();
          resolve(e);
        });
      });
      // The socket needs a moment to open before events can arrive over HTTP.
      await new Promise((r) => setTimeout(r, 200));
      const next = await h.client.call('settings.update', {
        patch: { operatorName: 'Dana', retention: { keepPassEvery: 5 } },
        actor: 'Dana',
        reason: 'shift change',
      });
      expect(next.operatorName).toBe('Dana');
      expect(next.retention.keepPassEvery).toBe(5);
      expect(await h.client.call('settings.get', {})).toEqual(next);
      // The signed-in person signs, whatever name the client put in the request.
      await expect(appended).resolves.toMatchObject({ action: 'settings.update', actor: 'admin' });

      const page = await h.client.call('audit.list', { limit: 10 });
      const entities = page.rows.map((r) => r.entity);
      expect(entities).toContain('settings.operatorName');
      expect(entities).toContain('settings.retention.keepPassEvery');
      const row = page.rows.find((r) => r.entity === 'settings.operatorName')!;
      expect(row).toMatchObject({ actor: 'admin', reason: 'shift change', newValue: '"Dana"' });
      expect((await h.client.call('audit.verify', {})).ok).toBe(true);
    });

    it('pages the audit trail with beforeId', async () => {
      for (let i = 0; i < 3; i++) {
        await h.client.call('settings.update', {
          patch: { retention: { keepPassEvery: 20 + i } },
          actor: 'qa',
          reason: `step ${i}`,
        });
      }
      const first = await h.client.call('audit.list', { limit: 2 });
      expect(first.rows).toHaveLength(2);
      expect(first.nextBeforeId).toBe(first.rows[1].id);
      const second = await h.client.call('audit.list', { limit: 2, beforeId: first.nextBeforeId! });
      expect(second.rows[0].id).toBeLessThan(first.rows[1].id);
      expect(first.total).toBe(second.total);
    });

    it('rejects invalid requests with bad_request and changes nothing', async () => {
      const before = await h.client.call('settings.get', {});
      const attempts: Array<Promise<unknown>> = [
        h.client.call('settings.update', { patch: { operatorName: '' }, actor: 'x', reason: 'r' }),
        h.client.call('settings.update', {
          patch: { retention: { keepPassEvery: -1 } },
          actor: 'x',
          reason: 'r',
        }),
        h.client.call('settings.update', { patch: {}, actor: 'x', reason: '' }),
        // @ts-expect-error unknown key is refused by the strict schema
        h.client.call('settings.update', { patch: { admin: true }, actor: 'x', reason: 'r' }),
        h.client.call('audit.list', { limit: 100000 }),
      ];
      for (const attempt of attempts) {
        await expect(attempt).rejects.toMatchObject({ name: 'ApiError', code: 'bad_request' });
      }
      expect(await h.client.call('settings.get', {})).toEqual(before);
    });

    it('refuses unknown methods', async () => {
      const call = h.client.call as (m: string, r: unknown) => Promise<unknown>;
      await expect(call('system.shutdown', {})).rejects.toBeInstanceOf(ApiError);
      await expect(call('system.shutdown', {})).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}

contractSuite('HTTP + WebSocket', httpHarness);
contractSuite('Electron IPC', ipcHarness);

describe('IPC binding', () => {
  it('refuses calls from frames that are not our renderer', async () => {
    const h = await ipcHarness('https://evil.example/');
    await expect(h.client.call('settings.get', {})).rejects.toMatchObject({ code: 'unauthorized' });
    await h.close();
  });
});

describe('HTTP transport security', () => {
  let station: Station;
  let server: HeadlessServer;
  const token = 'test-token-0123456789abcdef';
  beforeAll(async () => {
    station = await openStation({ dataDir: tempDir('sec-'), mode: 'headless', usb: false });
    const staticDir = tempDir('sec-static-');
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(staticDir, 'assets', 'a.js'), 'console.log(1)');
    writeFileSync(join(staticDir, '..', 'secret.txt'), 'top secret');
    const { hashToken } = await import('../../../src/main/server/auth');
    server = await startHeadlessServer({
      handlers: station.handlers,
      events: station.events,
      staticDir,
      host: '127.0.0.1',
      port: 0,
      tokenHash: hashToken(token),
    });
  });
  afterAll(async () => {
    await server.close();
    await station.close();
  });

  const rpc = (method: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}api/rpc/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers 401 without the token for the API and the event socket, but serves the UI shell', async () => {
    expect((await rpc('settings.get', {})).status).toBe(401);
    expect((await rpc('settings.get', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await rpc('settings.get', {}, { cookie: 'station_token=wrong' })).status).toBe(401);
    const shell = await fetch(server.url);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${server.url}?token=wrong`)).headers.get('set-cookie')).toBeNull();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}api/events`);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });

  it('accepts the bearer token and turns a ?token= visit into an HttpOnly cookie', async () => {
    const ok = await rpc('settings.get', {}, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const visit = await fetch(`${server.url}?token=${token}`);
    expect(visit.status).toBe(200);
    expect(visit.headers.get('set-cookie')).toMatch(/station_token=.*HttpOnly; SameSite=Strict/);
    expect(visit.headers.get('content-security-policy')).toContain("script-src 'self'");
    const withCookie = await rpc('settings.get', {}, { cookie: `station_token=${token}` });
    expect(withCookie.status).toBe(200);
  });

  it('rejects foreign Host headers, non-JSON bodies, oversized bodies and traversal', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const { request } = await import('node:http');
    const status = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const req = request(
          `${server.url}${path.replace(/^\//, '')}`,
          { headers: { ...auth, ...headers } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.end();
      });
    expect(await status('/', { host: 'attacker.example' })).toBe(403);
    const form = await fetch(`${server.url}api/rpc/settings.get`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(415);
    const huge = await rpc('settings.get', { pad: 'x'.repeat(2 * 1024 * 1024) }, auth);
    expect(huge.status).toBe(413);
    for (const p of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt']) {
      const res = await fetch(`${server.url.replace(/\/$/, '')}${p}`, { headers: auth });
      expect(await res.text()).not.toContain('top secret');
    }
    expect((await fetch(`${server.url}assets/a.js`, { headers: auth })).status).toBe(200);
  });
});
