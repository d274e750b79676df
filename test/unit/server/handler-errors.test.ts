// An unexpected error inside a request handler ends that request with a 500 (or a dropped
// response once streaming has begun); the server keeps serving everyone else.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../src/main/api/dispatch';
import { EventBus } from '../../../src/main/api/event-bus';
import { startHeadlessServer, type HeadlessServer } from '../../../src/main/server/http-server';
import { tempDir } from '../sources/helpers';

const boom = (): never => {
  throw new TypeError("Cannot read properties of undefined (reading 'x')");
};
// Every method fails the way a programming error would.
const handlers = new Proxy({} as ApiHandlers, { get: () => boom });

describe('handler faults', () => {
  const tmp = tempDir('handler-errors');
  let server: HeadlessServer;
  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'index.html'), '<!doctype html>');
    server = await startHeadlessServer({
      handlers,
      events: new EventBus(),
      staticDir: tmp.dir,
      host: '127.0.0.1',
      port: 0,
      tokenHash: null,
      files: {
        readImage: () => Promise.reject(new RangeError('disk went away')),
        // Fails after the first chunk, when the 200 header is already on the wire.
        *csvLines() {
          yield 'id,verdict\n';
          throw new Error('database closed mid-export');
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  const health = async (): Promise<number> => (await fetch(`${server.url}api/health`)).status;

  it('answers 500 for a throwing API handler and keeps serving', async () => {
    const res = await fetch(`${server.url}api/rpc/station.state`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/reading 'x'/);
    expect(await health()).toBe(200);
  });

  it('answers 500 for a failing image read and keeps serving', async () => {
    const res = await fetch(`${server.url}api/images/ab/${'ab'.repeat(32)}.png`);
    expect(res.status).toBe(500);
    expect(await health()).toBe(200);
  });

  it('drops a CSV export that fails mid-stream and keeps serving', async () => {
    let outcome: string;
    try {
      const res = await fetch(`${server.url}api/export/inspections.csv`);
      await res.text();
      outcome = 'complete';
    } catch {
      outcome = 'dropped';
    }
    // Either the client sees the stream cut, or the body ends early; never a crash.
    expect(['dropped', 'complete']).toContain(outcome);
    expect(await health()).toBe(200);
  });
});

describe('bind rules', () => {
  it('refuses to listen beyond loopback without an access token', async () => {
    const tmp = tempDir('bind-rules');
    await expect(
      startHeadlessServer({
        handlers,
        events: new EventBus(),
        staticDir: tmp.dir,
        host: '0.0.0.0',
        port: 0,
        tokenHash: null,
      }),
    ).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without an access token/);
    tmp.cleanup();
  });
});
