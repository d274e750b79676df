// Does QA reading slow the line? A real headless station (HTTP server, demo model, replay line at a
// fixed rate like a conveyor) over a database of N inspections, measured idle and then while
// reviewers page History and export the full CSV over HTTP. The readers run in a separate process
// (a browser would), so their own CPU is not charged to the station's event loop.
//
// Run: npx tsx scripts/bench-reads-load.ts [--rows 200000] [--fps 20] [--seconds 30]
//                                          [--pagers 8] [--exports 2] [--think-ms 0] [--reader-nice 19]
//                                          [--reader-idle 0]
// --fps 0 replays as fast as the station can inspect (throughput, CPU-bound on a small machine).
// --think-ms: pause between a pager's pages (0: each pager asks for the next page at once).
// --reader-nice: the readers stand for browsers on other PCs, so their own process (HTTP clients,
// CSV parsing) runs at this nice value instead of competing with the station as an equal.
// --reader-idle 1: also put the readers' process under SCHED_IDLE (closer still to "elsewhere": what
// is left is the station's own work for them).
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStationServer } from '../src/main/server/station-server';
import { openStation } from '../src/main/station-services';
import { attachSigningKey, loadOrCreateSigningKey } from '../src/main/storage/checkpoints';
import { openDatabase } from '../src/main/storage/database';
import { InspectionRepository, type NewInspection } from '../src/main/storage/inspections';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

// ---------------------------------------------------------------- load process (the reviewers)
async function runLoad(): Promise<void> {
  const [baseUrl, cookie, pagers, exports, thinkMs] = process.argv.slice(3);
  const headers = { 'content-type': 'application/json', cookie };
  let stop = false;
  process.on('message', () => (stop = true));
  const counts = { pages: 0, pageMs: [] as number[], exports: 0, exportBytes: 0 };
  const rpc = async (method: string, body: unknown): Promise<{ result: unknown }> => {
    const res = await fetch(`${baseUrl}/api/rpc/${method}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { result: unknown };
  };
  const pager = async (): Promise<void> => {
    // A reviewer paging back through History: keyset pages of 50, restarting at the newest.
    while (!stop) {
      let after: unknown = undefined;
      for (let p = 0; p < 200 && !stop; p++) {
        const t0 = performance.now();
        const { result } = await rpc('inspections.list', { filter: {}, after, limit: 50 });
        counts.pageMs.push(performance.now() - t0);
        counts.pages += 1;
        after = (result as { next: unknown }).next;
        if (!after) break;
        if (Number(thinkMs) > 0) await sleep(Number(thinkMs));
      }
    }
  };
  const exporter = async (): Promise<void> => {
    while (!stop) {
      const res = await fetch(`${baseUrl}/api/export/inspections.csv`, { headers: { cookie } });
      if (!res.ok || !res.body) throw new Error(`export: ${res.status}`);
      for await (const chunk of res.body) {
        counts.exportBytes += (chunk as Uint8Array).byteLength;
        if (stop) break;
      }
      if (!stop) counts.exports += 1;
    }
  };
  await Promise.all([
    ...Array.from({ length: Number(pagers) }, pager),
    ...Array.from({ length: Number(exports) }, exporter),
  ]);
  counts.pageMs.sort((a, b) => a - b);
  const q = (p: number): number => counts.pageMs[Math.floor(p * (counts.pageMs.length - 1))] ?? NaN;
  process.send!({
    pages: counts.pages,
    pageP50Ms: +q(0.5).toFixed(1),
    pageP95Ms: +q(0.95).toFixed(1),
    fullExports: counts.exports,
    exportedMiB: +(counts.exportBytes / 2 ** 20).toFixed(1),
  });
}

// ---------------------------------------------------------------- station process
function seed(dir: string, rows: number): void {
  const db = openDatabase(join(dir, 'station.db'));
  attachSigningKey(db, loadOrCreateSigningKey(dir));
  const repo = new InspectionRepository(db);
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < rows; i += 500) {
    const batch: NewInspection[] = [];
    for (let k = i; k < Math.min(rows, i + 500); k++) {
      batch.push({
        at: new Date(t0 + k * 200).toISOString(),
        source: 'replay:history',
        frameId: `h${k}`,
        modelId: 'model-history',
        modelVersion: 1,
        rawScore: (k % 97) / 10,
        normScore: (k % 100) / 100,
        verdict: k % 20 === 19 ? 'FAIL' : k % 20 === 18 ? 'REVIEW' : 'PASS',
        latencyMs: 12.5,
      });
    }
    repo.insertMany(batch);
  }
  db.close();
}

async function runStation(): Promise<void> {
  const rows = arg('rows', 200_000);
  const fps = arg('fps', 20);
  const seconds = arg('seconds', 30);
  const pagers = arg('pagers', 8);
  const exportsN = arg('exports', 2);
  const thinkMs = arg('think-ms', 0);
  const readerNice = arg('reader-nice', 19);
  const readerIdle = arg('reader-idle', 0) === 1;
  const dir = mkdtempSync(join(tmpdir(), 'bench-reads-'));
  try {
    const t0 = performance.now();
    seed(dir, rows);
    console.error(`seeded ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const station = await openStation({ dataDir: dir, mode: 'headless', usb: false });
    const staticDir = mkdtempSync(join(tmpdir(), 'bench-reads-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>bench</title>');
    const server = await startStationServer(station, {
      staticDir,
      host: '127.0.0.1',
      port: 0,
      tokenHash: null,
    });
    const baseUrl = server.url.replace(/\/$/, '');
    const cookie = await signIn(baseUrl, station.firstAdminPassword!);

    await station.startLine('bench'); // fits the demo model on first use, deploys it
    const demoLine = join(dir, 'demo', 'line');
    await station.handlers['station.start']({
      source: { kind: 'replay', folder: demoLine, fps, loop: true },
      actor: 'bench',
      reason: 'reads-under-load benchmark',
    } as never);
    await station.reads.call('list', {}, undefined, 1); // starts the read worker before measuring
    await sleep(5000); // warm-up: model sessions, page cache, fps window

    const idle = await window(station, seconds);
    const load = fork(
      __filename,
      ['--load', baseUrl, cookie, String(pagers), String(exportsN), String(thinkMs)],
      { execArgv: process.execArgv },
    );
    if (load.pid && readerNice > 0) setPriority(load.pid, readerNice);
    if (load.pid && readerIdle)
      execFileSync('chrt', ['--idle', '--all-tasks', '--pid', '0', String(load.pid)]);
    const loadDone = new Promise<Record<string, number>>((ok) => load.once('message', ok));
    await sleep(3000); // let every reader get going before measuring
    const busy = await window(station, seconds);
    load.send('stop');
    const reads = await loadDone;
    load.kill(); // its IPC channel would keep this process alive after the figures are out
    await server.close();
    await station.close();
    rmSync(staticDir, { recursive: true, force: true });
    const result = {
      rows,
      lineFps: fps === 0 ? 'as fast as inspected' : fps,
      seconds,
      pagers,
      exports: exportsN,
      thinkMs,
      readerNice,
      readerIdle,
      idle,
      underLoad: busy,
      fpsChangePct: +((100 * (busy.fps - idle.fps)) / idle.fps).toFixed(1),
      p95Ratio: +(busy.p95Ms / idle.p95Ms).toFixed(2),
      reads,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function signIn(baseUrl: string, oneTime: string): Promise<string> {
  const post = async (method: string, body: unknown, cookie = ''): Promise<Response> => {
    const res = await fetch(`${baseUrl}/api/rpc/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
    return res;
  };
  const cookieOf = (res: Response, old: string): string =>
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ') || old;
  let cookie = cookieOf(await post('auth.signIn', { name: 'admin', password: oneTime }), '');
  const password = 'bench-password-1';
  cookie = cookieOf(
    await post('auth.changePassword', { oldPassword: oneTime, newPassword: password }, cookie),
    cookie,
  );
  return cookie;
}

/**
 * Inspections completed per second over one window, and the station's own latency figures (frame
 * received → result, over its last 500 results: the window at 20 fps and 30 s).
 */
async function window(
  station: Awaited<ReturnType<typeof openStation>>,
  seconds: number,
): Promise<{ fps: number; p50Ms: number; p95Ms: number; inspected: number }> {
  const stats = () => station.handlers['station.stats']({} as never) as Promise<{ framesInspected: number }>;
  const before = (await stats()).framesInspected;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const inspected = (await stats()).framesInspected - before;
  const elapsed = (performance.now() - t0) / 1000;
  const s = (await station.handlers['station.stats']({} as never)) as {
    latency: { p50: number; p95: number };
  };
  return {
    fps: +(inspected / elapsed).toFixed(2),
    p50Ms: +s.latencyMs.p50.toFixed(1),
    p95Ms: +s.latencyMs.p95.toFixed(1),
    inspected,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (process.argv[2] === '--load') void runLoad();
else
  runStation().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
