// Fixtures for station tests: a tiny seeded conv backbone (so a real PatchCore model fits in well
// under a second), the demo set rendered small, and a station over a fresh data directory.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDemo, type DemoPaths } from '../../../src/main/demo';
import type { BackboneSource } from '../../../src/main/methods/types';
import { parseModel, serializeModel } from '../../../src/main/onnx/serialize';
import { buildTinyBackbone } from '../../helpers/tiny-backbone';
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
  return buildTinyBackbone({
    graphName: 'tiny-station',
    seed,
    size: TINY_INPUT,
    channels: [8, 8, 8, 8],
    biasStd: 0.05,
  });
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

/** Copies a package, dropping the anomaly_map output from the graph and the declaration. */
export function withoutMap(src: string, dst: string, declareMap: boolean): void {
  cpSync(src, dst, { recursive: true });
  const model = parseModel(new Uint8Array(readFileSync(join(dst, 'model.onnx'))));
  model.graph!.output = model.graph!.output!.filter((o) => o.name !== 'anomaly_map');
  writeFileSync(join(dst, 'model.onnx'), serializeModel(model));
  const json = JSON.parse(readFileSync(join(dst, 'model.json'), 'utf8')) as {
    outputs: Record<string, unknown>;
  };
  json.outputs = { score: 'pred_score', map: declareMap ? 'anomaly_map' : null };
  writeFileSync(join(dst, 'model.json'), JSON.stringify(json));
}
