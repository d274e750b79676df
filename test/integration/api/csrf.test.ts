// Issue 13 item 2: a page on any site could POST an empty text/plain body to
// /api/rpc/station.stop on the default loopback bind and stop the line, leaving no audit row.
// State changes must now prove they come from the station's own origin, and start/stop are audited.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../src/main/api/dispatch';
import { startHeadlessServer, type HeadlessServer } from '../../../src/main/server/http-server';
import { openStation, type Station } from '../../../src/main/station-services';
import { tempDir } from './harness';

describe('cross-site requests on the default loopback bind (no token)', () => {
  let station: Station;
  let server: HeadlessServer;
  let stops = 0;
  let base: string;

  beforeAll(async () => {
    station = await openStation({ dataDir: tempDir('csrf-data-'), mode: 'headless', usb: false });
    const staticDir = tempDir('csrf-static-');
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    // Counting calls to the real handler shows whether the line was actually asked to stop.
    const handlers: ApiHandlers = {
      ...station.handlers,
      'station.stop': (req) => {
        stops += 1;
        return station.handlers['station.stop'](req);
      },
    };
    server = await startHeadlessServer({
      handlers,
      events: station.events,
      staticDir,
      host: '127.0.0.1',
      port: 0,
      tokenHash: null,
    });
    base = server.url.replace(/\/$/, '');
  });
  afterAll(async () => {
    await server.close();
    await station.close();
  });

  const auditActions = (): string[] => station.audit.list({ limit: 500 }).rows.map((r) => r.action);

  it.each([
    [
      'an empty text/plain POST (what a cross-site form or fetch sends)',
      { 'content-type': 'text/plain' },
      415,
    ],
    ['an empty POST without a content type', {}, 415],
    ['a form-encoded POST', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    [
      'JSON from a foreign Origin',
      { 'content-type': 'application/json', origin: 'http://evil.example' },
      403,
    ],
    [
      'JSON from a sandboxed frame (Origin: null)',
      { 'content-type': 'application/json', origin: 'null' },
      403,
    ],
    [
      'JSON marked cross-site by the browser',
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      403,
    ],
  ])('refuses %s, without stopping the line or writing an audit row', async (_what, headers, status) => {
    const before = { stops, rows: auditActions().length };
    const res = await fetch(`${base}/api/rpc/station.stop`, { method: 'POST', headers });
    expect(res.status).toBe(status);
    expect(stops).toBe(before.stops);
    expect(auditActions().length).toBe(before.rows);
  });

  it('accepts the station page itself and audits who stopped the line and why', async () => {
    const res = await fetch(`${base}/api/rpc/station.stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ actor: 'Line lead', reason: 'changeover to part B' }),
    });
    expect(res.status).toBe(200);
    expect(stops).toBe(1);
    const row = station.audit.list({ limit: 1 }).rows[0];
    expect(row).toMatchObject({
      action: 'station.stop',
      actor: 'Line lead',
      entity: 'station.line',
      reason: 'changeover to part B',
    });
    expect(JSON.parse(row.newValue!)).toMatchObject({ status: expect.any(String) });
  });

  it('names the operator when the caller gives no actor, and says no reason was given', async () => {
    const res = await fetch(`${base}/api/rpc/station.stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const row = station.audit.list({ limit: 1 }).rows[0];
    expect(row.action).toBe('station.stop');
    expect(row.actor).toBe(station.settings.get().operatorName);
    expect(row.reason).toMatch(/no reason given/);
  });
});
