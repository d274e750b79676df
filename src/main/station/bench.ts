// Figures for the live loop: runs the demo line through the real station (replay → decode →
// model → verdict → image store + SQLite) for N frames and reports end-to-end throughput,
// latency and where the time goes. Run: node --import tsx src/main/station/bench.ts [dataDir] [frames]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDemo } from '../demo';
import { patchcoreBackbone, type PatchCoreBackboneId } from '../methods/patchcore/backbone';
import { AuditTrail } from '../storage/audit-trail';
import { openDatabase } from '../storage/database';
import { ImageStore } from '../storage/image-store';
import { SettingsStore } from '../storage/settings-store';
import { LiveStation } from './live-station';
import type { Stage } from './stats';

export interface BenchOptions {
  /** Data directory holding (or receiving) the demo set and model; the run's DB and images go to a temp dir. */
  dataDir: string;
  /** Backbone of the demo model (default MobileNetV2). */
  backbone?: PatchCoreBackboneId;
  frames?: number;
  /** Replay rate; 0 = as fast as the station inspects (throughput, no drops). */
  fps?: number;
  batch?: 'auto' | 'on' | 'off';
  intraOpNumThreads?: number;
}

export interface BenchResult {
  frames: number;
  wallMs: number;
  /** Inspected frames per second, first frame received to last result. */
  fps: number;
  /** p50/p95/mean over the last 500 frames (the station's latency window); worst over all. */
  latencyMs: { p50: number; p95: number; mean: number; worst: number };
  /** Mean ms per frame in each stage, and each stage's share of their sum. */
  stageMs: Record<Stage, number>;
  stageShare: Record<Stage, number>;
  overruns: number;
  rowsLogged: number;
  provider: string;
  batchMax: number;
  model: string;
  verdicts: { pass: number; review: number; fail: number };
}

export async function benchDemoLine(opts: BenchOptions): Promise<BenchResult> {
  const frames = opts.frames ?? 200;
  const backbone = opts.backbone
    ? await patchcoreBackbone(opts.backbone, { cacheDir: join(opts.dataDir, 'cache', 'backbones') })
    : undefined;
  const demo = await ensureDemo(opts.dataDir, { backbone });
  const runDir = mkdtempSync(join(tmpdir(), 'station-bench-'));
  const db = openDatabase(join(runDir, 'station.db'));
  try {
    const audit = new AuditTrail(db);
    const settings = new SettingsStore(db, audit);
    const images = await ImageStore.open(join(runDir, 'images'));
    const station = new LiveStation({
      db,
      audit,
      settings,
      images,
      modelsDir: join(opts.dataDir, 'models'),
      events: () => undefined,
      options: { batch: opts.batch ?? 'auto', intraOpNumThreads: opts.intraOpNumThreads },
    });
    const model = await station.loadModel(demo.modelDir);
    const t0 = performance.now();
    await station.start({ kind: 'replay', folder: demo.lineDir, fps: opts.fps ?? 0, loop: true });
    while (station.stats().framesInspected < frames) await new Promise((r) => setTimeout(r, 5));
    const wallMs = performance.now() - t0;
    const s = station.stats();
    await station.stop();
    await station.close();
    const lat = s.latencyMs;
    return {
      frames: s.framesInspected,
      wallMs,
      fps: (s.framesInspected * 1000) / wallMs,
      latencyMs: { p50: lat.p50 ?? NaN, p95: lat.p95 ?? NaN, mean: lat.mean ?? NaN, worst: lat.worst ?? NaN },
      stageMs: s.stages.meanMs,
      stageShare: s.stages.share,
      overruns: s.overruns,
      rowsLogged: s.rowsLogged,
      provider: model.provider,
      batchMax: model.batchMax,
      model: model.id,
      verdicts: s.yield,
    };
  } finally {
    db.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

// Direct run from source only: in a bundle every module shares the entry's `module`, so
// `require.main === module` would start a benchmark inside the app.
if (process.argv[1] && /station[\\/]bench\.ts$/.test(process.argv[1])) {
  const [dataDir = join(tmpdir(), 'station-bench-data'), frames = '200'] = process.argv.slice(2);
  benchDemoLine({ dataDir, frames: Number(frames) })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    });
}
