import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@shared/api';
import { createHttpClient } from '../../../src/renderer/src/transport/http';
import { ConnectionError } from '../../../src/renderer/src/transport/errors';

/** Minimal stand-in for the browser WebSocket, driven by the test. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function setup(fetchImpl: typeof fetch) {
  FakeSocket.instances = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const client = createHttpClient({
    baseUrl: 'http://station.test',
    fetch: fetchImpl,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    jitter: 0,
    now: () => 1000,
    setTimeout: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimeout: () => undefined,
  });
  return { client, timers };
}

describe('HTTP station client', () => {
  it('posts the request as JSON and returns result', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { result: { operatorName: 'ann' } }));
    const { client } = setup(fetchImpl as unknown as typeof fetch);
    await expect(client.call('settings.get', {})).resolves.toEqual({ operatorName: 'ann' });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://station.test/api/rpc/settings.get');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{}');
  });

  it('turns error bodies into ApiError with the server code', async () => {
    const { client } = setup((async () =>
      jsonResponse(400, {
        error: { code: 'bad_request', message: 'Invalid request for x: reason: Too small' },
      })) as typeof fetch);
    const err = await client.call('audit.verify', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('bad_request');
    expect((err as ApiError).message).toMatch(/reason: Too small/);
  });

  it('marks the connection unauthorized on 401 and stops reconnecting', async () => {
    const { client, timers } = setup((async () =>
      jsonResponse(401, {
        error: { code: 'unauthorized', message: 'Access token required' },
      })) as typeof fetch);
    await expect(client.call('system.info', {})).rejects.toMatchObject({ code: 'unauthorized' });
    expect(client.connection.get()).toEqual({ kind: 'unauthorized', message: 'Access token required' });
    FakeSocket.instances[0].onclose?.();
    expect(timers).toHaveLength(0);
  });

  it('reports an unreachable station as ConnectionError', async () => {
    const { client } = setup((async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch);
    await expect(client.call('system.info', {})).rejects.toBeInstanceOf(ConnectionError);
  });

  it('delivers events, reconnects with growing back-off and announces the reconnect', () => {
    const { client, timers } = setup((async () => jsonResponse(200, { result: {} })) as typeof fetch);
    const ws = FakeSocket.instances[0];
    expect(ws.url).toBe('ws://station.test/api/events');
    ws.onopen?.();
    expect(client.connection.get().kind).toBe('online');

    const seen: unknown[] = [];
    const off = client.on('audit.appended', (p) => seen.push(p));
    ws.onmessage?.({
      data: JSON.stringify({ event: 'audit.appended', payload: { id: 7, action: 'a', actor: 'b' } }),
    });
    ws.onmessage?.({ data: 'not json' });
    ws.onmessage?.({ data: JSON.stringify({ event: 'settings.changed', payload: {} }) });
    expect(seen).toEqual([{ id: 7, action: 'a', actor: 'b' }]);
    off();

    const reconnected = vi.fn();
    client.connection.onReconnect(reconnected);
    ws.onclose?.();
    expect(client.connection.get()).toEqual({ kind: 'reconnecting', attempt: 1, retryAt: 1500 });
    timers[0].fn();
    FakeSocket.instances[1].onclose?.();
    expect(timers.map((t) => t.ms)).toEqual([500, 1000]);
    timers[1].fn();
    FakeSocket.instances[2].onopen?.();
    expect(client.connection.get().kind).toBe('online');
    expect(reconnected).toHaveBeenCalledTimes(1);
    client.close();
  });
});
