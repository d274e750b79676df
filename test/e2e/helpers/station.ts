// Starts the real headless station (the built out/main/serve.js) in a child process with a
// throw-away data directory, so every e2e run begins from an empty database.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';

export const REPO_ROOT = resolve(__dirname, '../../..');
const SERVE_JS = join(REPO_ROOT, 'out/main/serve.js');
const LISTENING = /(?:Station|Fleet server) listening on (http:\/\/\S+)/;

export interface RunningStation {
  /** Base URL as printed by the station, with a trailing slash. */
  url: string;
  dataDir: string;
  /** Every stdout line so far (tests read the printed token URL from here). */
  output: string[];
  /** The first administrator's one-time password, when this start created the account. */
  oneTimePassword(): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. to restart the same station); not deleted on stop. */
  dataDir?: string;
  timeoutMs?: number;
}

export async function startStation(options: StartOptions = {}): Promise<RunningStation> {
  if (!existsSync(SERVE_JS)) {
    throw new Error(
      `${SERVE_JS} is missing: the e2e tests run against the built station. Run \`npx electron-vite build\` ` +
        '(or `npm test`, which builds first) and try again.',
    );
  }
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'station-e2e-'));
  const child = spawn(
    process.execPath,
    [SERVE_JS, '--port', '0', '--data-dir', dataDir, ...(options.args ?? ['--no-demo'])],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const errors: string[] = [];

  const url = await new Promise<string>((ok, fail) => {
    const timeout = setTimeout(() => {
      fail(
        new Error(
          `The station did not print "Station listening on …" within ${options.timeoutMs ?? 60_000} ms.\n` +
            describe(),
        ),
      );
    }, options.timeoutMs ?? 60_000);
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        const m = LISTENING.exec(line);
        if (m) {
          clearTimeout(timeout);
          ok(m[1]);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      fail(new Error(`The station exited before listening (code ${code}, signal ${signal}).\n` + describe()));
    });
    function describe(): string {
      return `stdout:\n${output.join('\n')}\nstderr:\n${errors.join('')}`;
    }
  });

  return {
    url,
    dataDir,
    output,
    async oneTimePassword() {
      // Printed right after the data directory line, or not at all (account already set up).
      const deadline = Date.now() + 10_000;
      while (!output.some((l) => l.startsWith('Data directory'))) {
        if (Date.now() > deadline)
          throw new Error(`The station printed no data directory.\n${output.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 100));
      const line = output.find((l) => l.includes('One-time password'));
      return line ? line.slice(line.lastIndexOf(':') + 1).trim() : '';
    },
    async stop() {
      await stopProcess(child);
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGTERM');
  // The server closes sockets and the database on SIGTERM; give it a moment, then insist.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';

/**
 * Signs in as the first administrator and replaces the one-time password with
 * E2E_ADMIN_PASSWORD; returns the session cookie for the test's own API calls.
 */
export async function adminSession(station: RunningStation): Promise<string> {
  const once = await station.oneTimePassword();
  if (!once) {
    // A restarted station whose administrator already chose E2E_ADMIN_PASSWORD.
    const res = await fetch(`${station.url}api/rpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password: E2E_ADMIN_PASSWORD }),
    });
    if (!res.ok) throw new Error(`auth.signIn: ${res.status} ${await res.text()}`);
    return remember(station.url, (res.headers.get('set-cookie') ?? '').split(';')[0]);
  }
  const post = async (method: string, body: unknown, cookie?: string): Promise<Response> => {
    const res = await fetch(`${station.url}api/rpc/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
    return res;
  };
  const res = await post('auth.signIn', { name: 'admin', password: once });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  await post('auth.changePassword', { oldPassword: once, newPassword: E2E_ADMIN_PASSWORD }, cookie);
  return remember(station.url, cookie);
}

const cookies = new Map<string, string>();
function remember(base: string, cookie: string): string {
  cookies.set(base, cookie);
  return cookie;
}

/** JSON headers with the administrator's session for `base` (after adminSession). */
export function stationHeaders(base: string): Record<string, string> {
  const cookie = cookies.get(base);
  return { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) };
}

/**
 * One API call as the administrator signed in by adminSession (or as `cookie`); an answer other
 * than 2xx throws with the server's own message.
 */
export async function rpc<T = unknown>(
  base: string,
  method: string,
  body: unknown,
  cookie?: string,
): Promise<T> {
  const res = await fetch(`${base}api/rpc/${method}`, {
    method: 'POST',
    headers: cookie ? { 'content-type': 'application/json', cookie } : stationHeaders(base),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: { result?: T; error?: { message: string } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Not JSON (a proxy or a crash page): the status and the text say what happened.
  }
  if (!res.ok) throw new Error(`${method}: ${res.status} ${json.error?.message ?? text}`);
  return json.result as T;
}

/**
 * Deploy, rollback, threshold changes and saving a model are electronically signed: the station
 * asks for the signed-in person's password again in a dialog. Answers it as that person would.
 */
export async function signChange(page: Page, password = E2E_ADMIN_PASSWORD): Promise<void> {
  await page.waitForSelector('[data-testid="signature-dialog"]');
  await page.fill('[data-testid="signature-password"]', password);
  await page.click('[data-testid="signature-submit"]');
  await page.waitForSelector('[data-testid="signature-dialog"]', { state: 'detached' });
}
