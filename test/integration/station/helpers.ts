// Fixtures for station tests: a tiny seeded conv backbone (so a real PatchCore model fits in well
// under a second), the demo set rendered small, and a station over a fresh data directory.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDemo, type DemoPaths } from '../../../src/main/demo';
import { createRng } from '../../../src/main/methods/patchcore/prng';
import type { BackboneSource } from '../../../src/main/methods/patchcore/types';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import {
  LiveStation,
  type LiveStationOptions,
  type StationEventName,
  type StationEvents,
} from '../../../src/main/station';
import {
  AuditTrail,
  ImageStore,
  openDatabase,
  SettingsStore,
  type Db,
  type WriteFileFn,
} from '../../../src/main/storage';

export const TINY_INPUT = 64;

/** 64 px input → tap "t8" 8 ch @ 8×8 (stride 8), tap "t16" 8 ch @ 4×4 (stride 16). */
export function tinyBackbone(seed = 7): BackboneSource {
  const rng = createRng(seed);
  const g = new GraphBuilder('tiny-station');
  const x = g.input('input', 'float32', ['N', 3, TINY_INPUT, TINY_INPUT]);
  const convRelu = (inp: string, cin: number, cout: number, name: string): string => {
    const w = new Float32Array(cout * cin * 9).map(() => rng.normal() * Math.sqrt(2 / (cin * 9)));
    const b = new Float32Array(cout).map(() => rng.normal() * 0.05);
    const y = g.conv(
      inp,
      g.initializer(`${name}_w`, w, [cout, cin, 3, 3]),
      g.initializer(`${name}_b`, b, [cout]),
      { strides: [2, 2], pads: [1, 1, 1, 1] },
    );
    return g.relu(y, name);
  };
  const c1 = convRelu(x, 3, 8, 'c1');
  const c2 = convRelu(c1, 8, 8, 'c2');
  const t8 = convRelu(c2, 8, 8, 't8');
  const t16 = convRelu(t8, 8, 8, 't16');
  g.output(t8);
  g.output(t16);
  return {
    id: 'tiny',
    model: serializeModel(g.toModelProto()),
    inputName: 'input',
    taps: [
      { name: 't8', stride: 8, channels: 8 },
      { name: 't16', stride: 16, channels: 8 },
    ],
    preprocess: {
      resize: 0,
      crop: TINY_INPUT,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      channelOrder: 'RGB',
    },
  };
}

/** The demo path (generator + PatchCore fit + export) at test size. */
export function tinyDemo(dataDir: string): Promise<DemoPaths> {
  return ensureDemo(dataDir, {
    backbone: tinyBackbone(),
    set: { trainCount: 16, lineCount: 12, size: 96, defectShare: 0.5, seed: 5 },
    config: { calibrationFraction: 0.25, coresetRatio: 0.25, seed: 1 },
    fitIn: 'process',
    intraOpNumThreads: 1,
  });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RecordedEvent {
  name: StationEventName;
  payload: StationEvents[StationEventName];
  t: number;
}

export interface StationEnv {
  db: Db;
  audit: AuditTrail;
  settings: SettingsStore;
  images: ImageStore;
  station: LiveStation;
  events: RecordedEvent[];
  of<E extends StationEventName>(name: E): StationEvents[E][];
  close(): Promise<void>;
}

export async function stationEnv(
  dir: string,
  opts: { writeFile?: WriteFileFn; options?: LiveStationOptions } = {},
): Promise<StationEnv> {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'station.db'));
  const audit = new AuditTrail(db);
  const settings = new SettingsStore(db, audit);
  const images = await ImageStore.open(join(dir, 'images'), { writeFile: opts.writeFile });
  const events: RecordedEvent[] = [];
  const station = new LiveStation({
    db,
    audit,
    settings,
    images,
    modelsDir: join(dir, 'models'),
    events: (name, payload) => events.push({ name, payload, t: performance.now() }),
    options: { intraOpNumThreads: 1, ...opts.options },
  });
  return {
    db,
    audit,
    settings,
    images,
    station,
    events,
    of: <E extends StationEventName>(name: E) =>
      events.filter((e) => e.name === name).map((e) => e.payload as StationEvents[E]),
    close: async () => {
      await station.close();
      db.close();
    },
  };
}

/** Polls until `fn` returns a truthy value or the time is up (then throws with `what`). */
export async function until<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  stepMs = 25,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
