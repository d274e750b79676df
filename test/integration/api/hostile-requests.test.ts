// Every header the headless server reads, with malformed or hostile values, against a real
// station in its own process: each request must get a 4xx answer (never a 500, never a dropped
// process), and after each one the station must still answer /api/health. Issue 13 item 1: a
// WebSocket upgrade with `Origin: null` used to throw "Invalid URL" and end the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/main/server/auth';
import { tempDir } from './harness';

const REPO = resolve(__dirname, '../../..');
const TOKEN = 'hostile-test-token-0123456789abcdef';
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

interface Child {
  proc: ChildProcess;
  port: number;
  exit: { code: number | null; signal: string | null; stderr: string } | null;
}

async function startChild(): Promise<Child> {
  const dataDir = tempDir('hostile-data-');
  const staticDir = tempDir('hostile-static-');
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  const proc = spawn(
    process.execPath,
    [
      join(REPO, 'node_modules/tsx/dist/cli.mjs'),
      join(__dirname, 'fixtures/headless-child.ts'),
      dataDir,
      staticDir,
      hashToken(TOKEN),
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child: Child = { proc, port: 0, exit: null };
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  proc.on('exit', (code, signal) => (child.exit = { code, signal, stderr }));
  const url = await new Promise<string>((ok, fail) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('{')) ok((JSON.parse(line) as { url: string }).url);
    });
    proc.on('exit', () => fail(new Error(`station child exited before listening:\n${stderr}`)));
  });
  child.port = Number(new URL(url).port);
  return child;
}

/** Sends raw bytes and returns the status of the first response line (null if none came). */
function raw(
  port: number,
  request: string | Buffer,
  after?: Buffer,
): Promise<{ status: number | null; text: string }> {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      ok({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(finish, 5000);
    socket.on('error', finish);
    socket.on('close', finish);
    let sentAfter = false;
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!/\r\n\r\n/.test(text)) return;
      if (after && !sentAfter && text.startsWith('HTTP/1.1 101')) {
        // Connected: now misbehave on the WebSocket itself, then wait for the server to hang up.
        sentAfter = true;
        socket.write(after);
      } else if (!sentAfter) {
        setTimeout(finish, 50);
      }
    });
    socket.write(request);
  });
}

const host = (port: number): string => `Host: 127.0.0.1:${port}`;
const auth = `Authorization: Bearer ${TOKEN}`;

function post(port: number, headers: string[], body = '', path = '/api/rpc/station.stop'): string {
  const h = headers.some((x) => /^host:/i.test(x))
    ? headers.filter((x) => x !== 'Host: <none>')
    : [host(port), ...headers];
  return `POST ${path} HTTP/1.1\r\n${[...h, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`;
}

function upgrade(port: number, headers: string[], path = '/api/events'): string {
  const base = new Map<string, string>([
    ['host', host(port)],
    ['upgrade', 'Upgrade: websocket'],
    ['connection', 'Connection: Upgrade'],
    ['sec-websocket-key', `Sec-WebSocket-Key: ${WS_KEY}`],
    ['sec-websocket-version', 'Sec-WebSocket-Version: 13'],
    ['authorization', auth],
  ]);
  for (const h of headers) {
    const name = h.slice(0, h.indexOf(':')).toLowerCase();
    const value = h.slice(h.indexOf(':') + 1).trim();
    if (value === '<omit>') base.delete(name);
    else base.set(name, h);
  }
  return `GET ${path} HTTP/1.1\r\n${[...base.values()].join('\r\n')}\r\n\r\n`;
}

/** A client→server WebSocket frame without the mask bit: a protocol error (RFC 6455 §5.1). */
const UNMASKED_FRAME = Buffer.from([0x81, 0x02, 0x68, 0x69]);
/** A masked text frame announcing 1 MiB: above the server's 64 KiB maxPayload. */
const OVERSIZED_FRAME = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]);

interface Case {
  name: string;
  request: (port: number) => string;
  /** Acceptable answers; every one a 4xx unless the case says why. */
  expect: number[];
  after?: Buffer;
}

const json = 'Content-Type: application/json';
const CASES: Case[] = [
  // Origin / Sec-Fetch-Site on state-changing calls (item 2: cross-site control).
  { name: 'Origin: null on POST', request: (p) => post(p, [auth, json, 'Origin: null']), expect: [403] },
  {
    name: 'foreign Origin on POST',
    request: (p) => post(p, [auth, json, 'Origin: http://evil.example']),
    expect: [403],
  },
  { name: 'Origin not a URL', request: (p) => post(p, [auth, json, 'Origin: ::::']), expect: [403] },
  {
    name: 'Origin with a path',
    request: (p) => post(p, [auth, json, `Origin: http://127.0.0.1:${p}/x`]),
    expect: [403],
  },
  {
    name: 'Origin 6 kB long',
    request: (p) => post(p, [auth, json, `Origin: http://${'a'.repeat(6000)}.example`]),
    expect: [403],
  },
  {
    name: 'Sec-Fetch-Site: cross-site',
    request: (p) => post(p, [auth, json, 'Sec-Fetch-Site: cross-site']),
    expect: [403],
  },
  {
    name: 'Sec-Fetch-Site: same-site',
    request: (p) => post(p, [auth, json, 'Sec-Fetch-Site: same-site']),
    expect: [403],
  },
  // Content-Type / Content-Length.
  {
    name: 'text/plain, empty body',
    request: (p) => post(p, [auth, 'Content-Type: text/plain', 'Content-Length: 0']),
    expect: [415],
  },
  {
    name: 'no Content-Type, empty body',
    request: (p) => post(p, [auth, 'Content-Length: 0']),
    expect: [415],
  },
  {
    name: 'form encoding',
    request: (p) =>
      post(p, [auth, 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 3'], 'a=b'),
    expect: [415],
  },
  {
    name: 'application/jsonp',
    request: (p) => post(p, [auth, 'Content-Type: application/jsonp', 'Content-Length: 2'], '{}'),
    expect: [415],
  },
  {
    name: 'JSON type, broken JSON',
    request: (p) => post(p, [auth, json, 'Content-Length: 5'], '{"a":'),
    expect: [400],
  },
  {
    name: 'JSON type, wrong shape',
    request: (p) => post(p, [auth, json, 'Content-Length: 2'], '[]'),
    expect: [400],
  },
  {
    name: 'Content-Length huge',
    request: (p) => post(p, [auth, json, 'Content-Length: 99999999999']),
    expect: [413],
  },
  {
    name: 'Content-Length not a number',
    request: (p) => post(p, [auth, json, 'Content-Length: abc']),
    expect: [400],
  },
  {
    name: 'Content-Length negative',
    request: (p) => post(p, [auth, json, 'Content-Length: -1']),
    expect: [400],
  },
  {
    name: 'two different Content-Lengths',
    request: (p) => post(p, [auth, json, 'Content-Length: 2', 'Content-Length: 3'], '{}'),
    expect: [400],
  },
  // Host.
  {
    name: 'no Host',
    request: (p) => post(p, ['Host: <none>', auth, json], '', '/api/rpc/station.state'),
    expect: [400, 403],
  },
  {
    name: 'foreign Host (DNS rebinding)',
    request: () => post(0, ['Host: evil.example', auth, json]),
    expect: [403],
  },
  { name: 'malformed IPv6 Host', request: () => post(0, ['Host: [::1', auth, json]), expect: [400, 403] },
  {
    name: 'Host with junk port',
    request: () => post(0, ['Host: 127.0.0.1:99999999999', auth, json]),
    expect: [400, 403],
  },
  // Cookie / Authorization.
  {
    name: 'cookie token with a broken %-escape',
    request: (p) => post(p, [json, 'Cookie: station_token=%E0%A4%A'], '', '/api/rpc/station.state'),
    expect: [401],
  },
  {
    name: 'cookie header of separators',
    request: (p) => post(p, [json, 'Cookie: ;;=;=;  ;station_token'], '', '/api/rpc/station.state'),
    expect: [401],
  },
  {
    name: 'empty bearer',
    request: (p) => post(p, [json, 'Authorization: Bearer '], '', '/api/rpc/station.state'),
    expect: [401],
  },
  {
    name: 'basic auth',
    request: (p) => post(p, [json, 'Authorization: Basic Zm9vOmJhcg=='], '', '/api/rpc/station.state'),
    expect: [401],
  },
  {
    name: 'bearer 8 kB long',
    request: (p) =>
      post(p, [json, `Authorization: Bearer ${'x'.repeat(8000)}`], '', '/api/rpc/station.state'),
    expect: [401],
  },
  {
    name: 'control character in a header',
    request: (p) => post(p, [json, 'Authorization: Bearer a\x01b'], '', '/api/rpc/station.state'),
    expect: [400],
  },
  {
    name: 'malformed request target',
    request: (p) => `GET http://[ HTTP/1.1\r\n${host(p)}\r\nConnection: close\r\n\r\n`,
    expect: [400],
  },
  {
    name: 'token query with broken escape',
    request: (p) => `GET /api/health?token=%E0%A4%A HTTP/1.1\r\n${host(p)}\r\nConnection: close\r\n\r\n`,
    expect: [401],
  },
  // WebSocket upgrades (Origin, Host, Sec-WebSocket-*), then misbehaving sockets.
  { name: 'upgrade with Origin: null', request: (p) => upgrade(p, ['Origin: null']), expect: [403] },
  { name: 'upgrade with Origin not a URL', request: (p) => upgrade(p, ['Origin: http://[']), expect: [403] },
  {
    name: 'upgrade from a foreign Origin',
    request: (p) => upgrade(p, ['Origin: http://evil.example']),
    expect: [403],
  },
  {
    name: 'upgrade with Sec-Fetch-Site: cross-site',
    request: (p) => upgrade(p, ['Sec-Fetch-Site: cross-site']),
    expect: [403],
  },
  { name: 'upgrade with a foreign Host', request: (p) => upgrade(p, ['Host: evil.example']), expect: [403] },
  { name: 'upgrade without the token', request: (p) => upgrade(p, ['Authorization: <omit>']), expect: [401] },
  {
    name: 'upgrade with a broken cookie',
    request: (p) => upgrade(p, ['Authorization: <omit>', 'Cookie: station_token=%']),
    expect: [401],
  },
  { name: 'upgrade to another path', request: (p) => upgrade(p, [], '/api/other'), expect: [404] },
  { name: 'upgrade to a malformed target', request: (p) => upgrade(p, [], 'http://['), expect: [400, 404] },
  { name: 'no Sec-WebSocket-Key', request: (p) => upgrade(p, ['Sec-WebSocket-Key: <omit>']), expect: [400] },
  { name: 'short Sec-WebSocket-Key', request: (p) => upgrade(p, ['Sec-WebSocket-Key: abc']), expect: [400] },
  {
    name: 'Sec-WebSocket-Version 99',
    request: (p) => upgrade(p, ['Sec-WebSocket-Version: 99']),
    expect: [400, 426],
  },
  {
    name: 'Sec-WebSocket-Version not a number',
    request: (p) => upgrade(p, ['Sec-WebSocket-Version: ;;']),
    expect: [400, 426],
  },
  {
    name: 'malformed Sec-WebSocket-Protocol',
    request: (p) => upgrade(p, ['Sec-WebSocket-Protocol: ,,, ;']),
    expect: [400],
  },
  { name: 'Upgrade: something else', request: (p) => upgrade(p, ['Upgrade: h2c']), expect: [400] },
  // The server offers no extensions, so an absurd offer is ignored and the upgrade succeeds (101);
  // what matters is that the process survives it.
  {
    name: 'absurd Sec-WebSocket-Extensions',
    request: (p) =>
      upgrade(p, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99;;, x="']),
    expect: [101],
  },
  {
    name: 'unmasked frame after connecting',
    request: (p) => upgrade(p, []),
    after: UNMASKED_FRAME,
    expect: [101],
  },
  {
    name: 'oversized frame after connecting',
    request: (p) => upgrade(p, []),
    after: OVERSIZED_FRAME,
    expect: [101],
  },
];

describe('hostile headers against a running station process', () => {
  let child: Child;
  beforeAll(async () => {
    child = await startChild();
  }, 120_000);
  afterAll(() => {
    if (!child?.exit) child?.proc.kill('SIGTERM');
  });

  const alive = async (): Promise<void> => {
    expect(child.exit, `station process ended: ${JSON.stringify(child.exit)}`).toBeNull();
    const health = await fetch(`http://127.0.0.1:${child.port}/api/health`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(health.status).toBe(200);
  };

  it.each(CASES)('$name', async (c) => {
    const { status, text } = await raw(child.port, c.request(child.port), c.after);
    expect(c.expect, `answer was: ${text.split('\r\n')[0] || '(none)'}`).toContain(status);
    // Give a crash a moment to happen before asking.
    await new Promise((r) => setTimeout(r, 50));
    await alive();
  });

  it('aborted bodies and half-sent requests leave it running', async () => {
    const socket = connect(child.port, '127.0.0.1');
    await new Promise<void>((ok) => socket.on('connect', ok));
    socket.write(post(child.port, [auth, json, 'Content-Length: 100'], '{"ac'));
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await alive();
  });

  it('still stops the line for a same-origin JSON request (the refusals are not blanket)', async () => {
    const res = await fetch(`http://127.0.0.1:${child.port}/api/rpc/station.stop`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        origin: `http://127.0.0.1:${child.port}`,
        'sec-fetch-site': 'same-origin',
      },
      body: '{}',
    });
    expect(res.status).toBe(200);
  });
});
