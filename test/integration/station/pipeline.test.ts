// The live station end to end on the demo line (generator → PatchCore fit → model package →
// replay / hot folder → verdicts → SQLite + image store → events), with faults.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoPaths } from '../../../src/main/demo';
import { loadModelPackage } from '../../../src/main/models/runner';
import { verdictOf } from '../../../src/main/models/schema';
import { resolveFfmpegPath } from '../../../src/main/sources';
import type { ResultSnapshot, StationErrorEvent, Thresholds } from '../../../src/main/station';
import { InspectionRepository, type InspectionRow } from '../../../src/main/storage';
import { stationEnv, tempDir, tinyDemo, until, type StationEnv } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let demo: DemoPaths;
/** Scores of each line frame from the runner directly, independent of the station. */
let expected: Map<string, { norm: number; raw: number }>;
let split: Thresholds;
let runs = 0;

beforeAll(async () => {
  tmp = tempDir('station-pipeline');
  demo = await tinyDemo(join(tmp.dir, 'data'));
  const runner = await loadModelPackage(demo.modelDir, { intraOpNumThreads: 1 });
  expected = new Map();
  for (const l of demo.manifest.line) {
    const o = await runner.score(join(demo.lineDir, l.file));
    expected.set(l.file, { norm: o.normScore, raw: o.rawScore });
  }
  await runner.release();
  // Thresholds between sorted scores so the 12 frames split 8 PASS / 2 REVIEW / 2 FAIL exactly.
  const s = [...expected.values()].map((v) => v.norm).sort((a, b) => a - b);
  split = { t1: (s[7] + s[8]) / 2, t2: (s[9] + s[10]) / 2 };
});

afterAll(() => tmp.cleanup());

async function freshStation(opts: Parameters<typeof stationEnv>[1] = {}): Promise<StationEnv> {
  const env = await stationEnv(join(tmp.dir, `run${++runs}`), opts);
  await env.station.loadModel(demo.modelDir);
  return env;
}

function rows(env: StationEnv): InspectionRow[] {
  const out: InspectionRow[] = [];
  const repo = new InspectionRepository(env.db);
  let page = repo.page({}, { limit: 1000 });
  out.push(...page.rows);
  while (page.next) {
    page = repo.page({}, { after: page.next, limit: 1000 });
    out.push(...page.rows);
  }
  return out.sort((a, b) => a.id - b.id);
}

function nameOf(env: StationEnv, row: InspectionRow): string {
  const frame = env.of('station.result').find((r) => r.frameId === row.frameId);
  if (frame?.name) return frame.name;
  // Frame ids are "<source>:<seq>"; replay order is the natural file order.
  const seq = Number(row.frameId!.split(':')[1]);
  return demo.manifest.line[(seq - 1) % demo.manifest.line.length].file;
}

async function runReplayOnce(
  env: StationEnv,
  folder = demo.lineDir,
  frames = demo.manifest.line.length,
): Promise<void> {
  await env.station.start({ kind: 'replay', folder, fps: 0, loop: false });
  await until(
    () => env.station.stats().framesInspected + env.station.stats().corruptFrames >= frames,
    `${frames} frames`,
  );
  await env.station.stop();
}

describe('live station on the demo line', () => {
  it('replays the line, logs one row per frame with the model’s verdict, keeps evidence by retention', async () => {
    const env = await freshStation();
    const change = env.station.setThresholds(split, 'qa.engineer', 'split the line for the test');
    expect(change.new).toEqual(split);
    await runReplayOnce(env);

    const logged = rows(env);
    expect(logged).toHaveLength(12);
    const counts = { PASS: 0, REVIEW: 0, FAIL: 0 };
    for (const r of logged) {
      const e = expected.get(nameOf(env, r))!;
      expect(r.normScore).toBeCloseTo(e.norm, 5);
      expect(r.verdict).toBe(verdictOf(e.norm, split));
      counts[r.verdict] += 1;
    }
    expect(counts).toEqual({ PASS: 8, REVIEW: 2, FAIL: 2 });
    const stats = env.station.stats();
    expect(stats.yield).toEqual({ pass: 8, review: 2, fail: 2 });
    expect(stats.overruns).toBe(0);
    expect(stats.rowsLogged).toBe(12);
    expect(stats.latencyMs.p95).toBeGreaterThan(0);
    expect(stats.latencyMs.worst).toBeGreaterThanOrEqual(stats.latencyMs.p95!);

    // Every FAIL/REVIEW keeps image + heatmap; PASS is sampled 1 in 10 (the first one kept).
    for (const r of logged.filter((x) => x.verdict !== 'PASS')) {
      expect(r.imageRef && r.heatmapRef).toBeTruthy();
      const bytes = readFileSync(env.images.pathOf(r.imageRef!));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.imageSha256);
      expect(bytes[0]).toBe(0xff); // JPEG
      expect((await sharp(env.images.pathOf(r.heatmapRef!)).metadata()).format).toBe('png');
    }
    expect(logged.filter((x) => x.verdict === 'PASS' && x.imageRef).length).toBe(1);

    // Reject strip: newest first, with the inspection ids that were written.
    const rejectIds = logged
      .filter((x) => x.verdict !== 'PASS')
      .map((x) => x.id)
      .reverse();
    expect(stats.rejects.map((r) => r.inspectionId)).toEqual(rejectIds);

    // Audit: who changed what from which to which, and the chain verifies.
    const audit = env.audit.list().rows.find((r) => r.action === 'thresholds.update')!;
    expect(audit.actor).toBe('qa.engineer');
    expect(JSON.parse(audit.newValue!)).toEqual(split);
    expect(JSON.parse(audit.oldValue!)).toEqual({ t1: 1, t2: 1.5 });
    expect(env.audit.verify().ok).toBe(true);
    await env.close();
  });

  it('sends UI-ready results at most 10 per second and stats once per second', async () => {
    const env = await freshStation({ options: { statsIntervalMs: 300 } });
    await env.station.start({ kind: 'replay', folder: demo.lineDir, fps: 40, loop: true });
    await new Promise((r) => setTimeout(r, 1600));
    await env.station.stop();
    const results = env.events.filter((e) => e.name === 'station.result');
    expect(results.length).toBeGreaterThan(3);
    const inspected = env.station.stats().framesInspected;
    expect(results.length).toBeLessThan(inspected);
    for (let i = 1; i < results.length; i++)
      expect(results[i].t - results[i - 1].t).toBeGreaterThanOrEqual(95);
    const snap = results[results.length - 1].payload as ResultSnapshot;
    if (!snap.heatmap) throw new Error('a model with a map produced no heatmap');
    const heat = Buffer.from(snap.heatmap.base64, 'base64');
    expect(heat.length).toBe(snap.heatmap.width * snap.heatmap.height);
    const jpeg = Buffer.from(snap.image.jpegBase64, 'base64');
    expect(jpeg[0]).toBe(0xff);
    const meta = await sharp(jpeg).metadata();
    expect(meta.width).toBe(snap.image.width);
    expect(meta.width).toBeLessThanOrEqual(480);
    expect(env.of('station.stats').length).toBeGreaterThanOrEqual(3);
    expect(env.of('station.state').map((s) => s.status)).toContain('running');
    await env.close();
  });

  it('batches frames that wait (hot folder burst) and gives the same verdicts', async () => {
    const env = await freshStation({ options: { batch: 'on', maxBatch: 4, queueCapacity: 64 } });
    expect(env.station.state().model!.batchMax).toBe(4);
    env.station.setThresholds(split, 'tester', 'same split as the replay test');
    const hot = join(tmp.dir, 'hot-burst');
    mkdirSync(hot);
    for (const l of demo.manifest.line) copyFileSync(join(demo.lineDir, l.file), join(hot, l.file));
    await env.station.start({ kind: 'hotFolder', folder: hot, skipExisting: false, pollMs: 30 });
    await until(() => env.station.stats().framesInspected >= 12, '12 frames');
    await env.station.stop();
    const got = env.of('station.result');
    expect(got.length).toBeGreaterThan(0);
    const logged = rows(env);
    expect(logged).toHaveLength(12);
    const byVerdict = { PASS: 0, REVIEW: 0, FAIL: 0 };
    for (const r of logged) byVerdict[r.verdict] += 1;
    expect(byVerdict).toEqual({ PASS: 8, REVIEW: 2, FAIL: 2 });
    // Each row's score is its own frame's: batching must not mix frames up.
    const results = new Map(got.map((r) => [r.frameId, r]));
    for (const r of logged) {
      const snap = results.get(r.frameId!);
      if (snap?.name) expect(r.normScore).toBeCloseTo(expected.get(snap.name)!.norm, 5);
    }
    expect(env.audit.verify().ok).toBe(true);
    await env.close();
  });

  it('counts a corrupt frame, reports it, and carries on', async () => {
    const folder = join(tmp.dir, 'with-corrupt');
    mkdirSync(folder);
    for (const l of demo.manifest.line.slice(0, 4))
      copyFileSync(join(demo.lineDir, l.file), join(folder, l.file));
    const png = readFileSync(join(demo.lineDir, demo.manifest.line[4].file));
    writeFileSync(join(folder, 'frame_0001a_truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
    writeFileSync(join(folder, 'frame_0002a_garbage.png'), Buffer.from('this is not an image at all'));
    const env = await freshStation();
    await runReplayOnce(env, folder, 6);
    const stats = env.station.stats();
    expect(stats.corruptFrames).toBe(2);
    expect(stats.framesInspected).toBe(4);
    expect(rows(env)).toHaveLength(4);
    const errors = env.of('source.error').filter((e: StationErrorEvent) => e.kind === 'corrupt_frame');
    expect(errors).toHaveLength(2);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/truncated[\s\S]*garbage/);
    await env.close();
  });

  it('still writes every metadata row when the disk is full, with store_error, and counts the failures', async () => {
    const enospc: Parameters<typeof stationEnv>[1] = {
      writeFile: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const env = await freshStation(enospc);
    env.station.setThresholds(split, 'tester', 'split');
    await runReplayOnce(env);
    const logged = rows(env);
    expect(logged).toHaveLength(12);
    const wanted = logged.filter((r) => r.storeError !== null);
    // FAIL + REVIEW (4) + the one sampled PASS tried to store; sampled-out PASS frames did not.
    expect(wanted).toHaveLength(5);
    for (const r of wanted) {
      expect(r.storeError).toMatch(/^disk_full/);
      expect(r.imageRef).toBeNull();
    }
    const stats = env.station.stats();
    expect(stats.storeErrors).toBe(5);
    expect(stats.lastStoreError).toMatch(/Disk full/);
    expect(env.station.state().error?.kind).toBe('store');
    // Five failures, one event: a full disk must not flood the operator's screen.
    expect(env.of('source.error').filter((e) => e.kind === 'store')).toHaveLength(1);
    await env.close();
  });

  it('drops the oldest frames as overruns when the source outpaces inspection, with a bounded queue', async () => {
    const env = await freshStation({ options: { queueCapacity: 2, batch: 'off' } });
    let maxDepth = 0;
    await env.station.start({ kind: 'replay', folder: demo.lineDir, fps: 1000, loop: true });
    const end = Date.now() + 1200;
    while (Date.now() < end) {
      maxDepth = Math.max(maxDepth, env.station.stats().queue.depth);
      await new Promise((r) => setTimeout(r, 5));
    }
    await env.station.stop();
    const s = env.station.stats();
    expect(maxDepth).toBeLessThanOrEqual(2);
    expect(s.overruns).toBeGreaterThan(0);
    expect(s.framesReceived).toBeGreaterThanOrEqual(s.framesInspected + s.overruns);
    expect(s.rowsLogged).toBe(s.framesInspected);
    await env.close();
  });

  it('holds the original bytes of the last frames by inspection id (for "save as good")', async () => {
    const env = await freshStation();
    await runReplayOnce(env);
    const last = env.station.lastResult()!;
    expect(last.inspectionId).not.toBeNull();
    const held = await env.station.heldOriginal(last.inspectionId!);
    expect(held?.ext).toBe('png');
    expect(Buffer.from(held!.data).equals(readFileSync(join(demo.lineDir, last.name!)))).toBe(true);
    const logged = rows(env);
    // Only the last 8 are held (recentFrames): older ones must come from the image store.
    expect(logged.length).toBeGreaterThan(8);
    expect(await env.station.heldOriginal(logged[0].id)).toBeNull();
    expect(await env.station.heldOriginal(logged.at(-1)!.id + 1)).toBeNull();
    await env.close();
  });

  it('applies a stored threshold change again when the same model is reloaded', async () => {
    const env = await freshStation();
    env.station.setThresholds({ t1: 0.2, t2: 0.9 }, 'qa', 'tighter');
    await env.station.loadModel(demo.modelDir);
    expect(env.station.state().model!.thresholds).toEqual({ t1: 0.2, t2: 0.9 });
    expect(env.station.state().model!.packageThresholds).toEqual({ t1: 1, t2: 1.5 });
    expect(() => env.station.setThresholds({ t1: 2, t2: 1 }, 'qa', 'inverted')).toThrow(/T1 ≤ T2/);
    await env.close();
  });
});

describe.skipIf(!resolveFfmpegPath())('camera source through the station', () => {
  it('inspects raw RGB frames from ffmpeg, stores them as JPEG and saves one as a lossless PNG', async () => {
    const env = await freshStation();
    await env.station.start({
      kind: 'camera',
      input: { type: 'lavfi', graph: 'testsrc=size=160x120:rate=10' },
      width: 160,
      height: 120,
      fps: 10,
    });
    await until(() => env.station.stats().framesInspected >= 4, '4 camera frames');
    await env.station.stop();
    const logged = rows(env);
    expect(logged.length).toBe(env.station.stats().framesInspected);
    expect(logged[0].source).toBe('lavfi:testsrc=size=160x120:rate=10');
    const stored = logged.find((r) => r.imageRef)!;
    expect((await sharp(env.images.pathOf(stored.imageRef!)).metadata()).format).toBe('jpeg');
    const last = env.station.lastResult()!;
    const held = await env.station.heldOriginal(last.inspectionId!);
    const meta = await sharp(Buffer.from(held!.data)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 160, 120]);
    await env.close();
  });
});

describe('model faults', () => {
  it('reports a missing model as a clear error state and refuses to start', async () => {
    const env = await stationEnv(join(tmp.dir, 'no-model'));
    await expect(env.station.loadModel(join(tmp.dir, 'nowhere'))).rejects.toThrow(/does not exist/);
    let st = env.station.state();
    expect(st.status).toBe('error');
    expect(st.error?.kind).toBe('model');
    expect(st.message).toMatch(/nowhere.*does not exist/);

    const half = join(tmp.dir, 'half-model');
    mkdirSync(half);
    copyFileSync(join(demo.modelDir, 'model.json'), join(half, 'model.json'));
    await expect(env.station.loadModel(half)).rejects.toThrow(/has no model\.onnx/);
    expect(env.station.state().message).toMatch(/has no model\.onnx/);

    await expect(env.station.start({ kind: 'replay', folder: demo.lineDir })).rejects.toThrow(
      /no model loaded/,
    );
    st = env.station.state();
    expect(st.status).toBe('error');
    expect(env.of('source.error').filter((e) => e.kind === 'model').length).toBe(2);
    await env.close();
  });

  it('keeps the running model when a replacement fails to load', async () => {
    const env = await freshStation();
    await env.station.start({ kind: 'replay', folder: demo.lineDir, fps: 20, loop: true });
    await expect(env.station.loadModel(join(tmp.dir, 'nowhere'))).rejects.toThrow();
    const before = env.station.stats().framesInspected;
    await until(() => env.station.stats().framesInspected > before + 2, 'frames after the failed load');
    expect(env.station.state().status).toBe('running');
    expect(env.station.state().message).toMatch(/still using/);
    await env.close();
  });
});

it('rejects an invalid source configuration with every problem named', async () => {
  const env = await freshStation();
  await expect(
    env.station.start({
      kind: 'camera',
      input: { type: 'url', url: 'ftp://x' },
      width: 4,
      height: 120,
    } as never),
  ).rejects.toThrow(/width[\s\S]*url|url[\s\S]*width/);
  await env.close();
});
