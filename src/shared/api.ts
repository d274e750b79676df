// The one API contract between the UI and the station. Both transports (Electron IPC and
// headless HTTP + WebSocket) carry exactly these methods and events, and the main process
// validates every request against the schemas below before a handler sees it.
import { z } from 'zod';
import type { DeviceListing, OutputState, UsbChangeEvent } from './devices';
import type {
  ResultSnapshot,
  StationErrorEvent,
  StationState,
  StationStats,
  Thresholds,
} from './station';

// ---------- DTOs ----------

export interface ExecutionProviderInfo {
  name: 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';
  available: boolean;
  /** Why this provider is or is not usable here, in one sentence. */
  reason: string;
}

export interface SystemInfo {
  appVersion: string;
  onnxRuntimeVersion: string;
  executionProviders: ExecutionProviderInfo[];
  /** Provider order the station will try, first usable wins. */
  providerOrder: string[];
  dataDir: string;
  databasePath: string;
  databaseSizeBytes: number;
  schemaVersion: number;
  imageStoreBytes: number;
  /** URL of the headless server, or null when the UI runs inside Electron without it. */
  headlessUrl: string | null;
  mode: 'electron' | 'headless';
  platform: string;
  nodeVersion: string;
  electronVersion: string | null;
}

export interface RetentionSettings {
  /** FAIL and REVIEW images are always kept; this cannot be turned off. */
  keepPassEvery: number;
  maxStoreBytes: number;
}

export interface Settings {
  operatorName: string;
  retention: RetentionSettings;
  providerOrder: Array<ExecutionProviderInfo['name']>;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  oldValue: string | null;
  newValue: string | null;
  reason: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  rows: AuditRow[];
  /** Pass as beforeId to get the next (older) page; null when there is none. */
  nextBeforeId: number | null;
  total: number;
}

export interface AuditVerification {
  ok: boolean;
  checkedRows: number;
  /** First row id where the chain breaks (edited, inserted or deleted row), if any. */
  firstBadId: number | null;
  problem: string | null;
  verifiedAt: string;
}

// ---------- Request schemas ----------

const actor = z.string().trim().min(1).max(80);
const reason = z.string().trim().min(1).max(500);

export const providerName = z.enum(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);

export const settingsPatch = z
  .object({
    operatorName: actor.optional(),
    retention: z
      .object({
        keepPassEvery: z.number().int().min(1).max(1_000_000).optional(),
        maxStoreBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(2 ** 50)
          .optional(),
      })
      .strict()
      .optional(),
    providerOrder: z.array(providerName).min(1).max(5).optional(),
  })
  .strict();

export const requestSchemas = {
  'system.info': z.object({}).strict(),
  'settings.get': z.object({}).strict(),
  'settings.update': z.object({ patch: settingsPatch, actor, reason }).strict(),
  'audit.list': z
    .object({
      beforeId: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    })
    .strict(),
  'audit.verify': z.object({}).strict(),
  'station.state': z.object({}).strict(),
  'station.stats': z.object({}).strict(),
  'station.lastResult': z.object({}).strict(),
  /** Without a source, the station restarts the last one (or the demo line on a new station). */
  'station.start': z
    .object({ source: z.record(z.string(), z.unknown()).optional(), actor: actor.optional() })
    .strict(),
  'station.stop': z.object({ actor: actor.optional() }).strict(),
  'station.setThresholds': z
    .object({
      t1: z.number().finite().min(0).max(10),
      t2: z.number().finite().min(0).max(10),
      actor,
      reason,
    })
    .strict()
    .refine((v) => v.t1 <= v.t2, { message: 'T1 must not be above T2', path: ['t1'] }),
  'station.saveFrameAsGood': z.object({ frameId: z.string().min(1).max(200), actor }).strict(),
  'devices.list': z.object({}).strict(),
  /** The output configuration is checked by the device layer's own schema. */
  'devices.configure': z.object({ config: z.record(z.string(), z.unknown()), actor, reason }).strict(),
  'devices.test': z
    .object({ deviceId: z.string().min(1).max(200), action: z.record(z.string(), z.unknown()) })
    .strict(),
} as const;

export type ApiMethod = keyof typeof requestSchemas;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof requestSchemas)[M]>;
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof requestSchemas)[M]>;

export interface ApiResults {
  'system.info': SystemInfo;
  'settings.get': Settings;
  'settings.update': Settings;
  'audit.list': AuditPage;
  'audit.verify': AuditVerification;
  'station.state': StationState;
  'station.stats': StationStats;
  'station.lastResult': ResultSnapshot | null;
  'station.start': StationState;
  'station.stop': StationState;
  'station.setThresholds': Thresholds;
  'station.saveFrameAsGood': { path: string };
  'devices.list': DeviceListing;
  'devices.configure': Record<string, unknown>;
  'devices.test': OutputState;
}

export const apiMethods = Object.keys(requestSchemas) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

// ---------- Events (main → UI) ----------

export interface ApiEvents {
  'audit.appended': { id: number; action: string; actor: string };
  'settings.changed': Settings;
  'station.state': StationState;
  'station.result': ResultSnapshot;
  'station.stats': StationStats;
  'source.error': StationErrorEvent;
  'devices.changed': UsbChangeEvent | { type: 'output'; state: OutputState };
}
export type ApiEventName = keyof ApiEvents;

// ---------- Client surface used by the renderer ----------

export interface StationClient {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResults[M]>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export { ApiError, type ApiErrorBody } from './errors';
