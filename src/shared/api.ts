// The one API contract between the UI and the station. Both transports (Electron IPC and
// headless HTTP + WebSocket) carry exactly these methods and events, and the main process
// validates every request against the schemas below before a handler sees it.
import { z } from 'zod';
import type { DeviceListing, OutputState, UsbChangeEvent } from './devices';
import type {
  CandidateExport,
  CandidatePage,
  CsvChunk,
  ImageData64,
  InspectionDetail,
  InspectionListPage,
  ModelUsage,
  ReviewDecisionDto,
  ScoreHistogram,
  WhatIfResult,
  YieldOverTime,
} from './inspections';
import { fleetRequestSchemas, type FleetResults } from './fleet';
import type { SourceOptions, SourceTestResult } from './sources';
import type { ProductCheck, ProductDetail, ProductDto, ProductList } from './products';
import { ROLES, type AuthStatus, type UserDto } from './users';
import type { ResultSnapshot, StationErrorEvent, StationState, StationStats, Thresholds } from './station';
import type {
  CalibrationReport,
  DeviceConfigView,
  MethodInfo,
  ModelCompareResult,
  ModelVersionDto,
  ScanReport,
  TrainingEstimate,
  TrainingJobDto,
} from './training';

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
  /** 'fleet': the central review server over PostgreSQL; station screens are not available there. */
  mode: 'electron' | 'headless' | 'fleet';
  platform: string;
  nodeVersion: string;
  electronVersion: string | null;
}

export interface RetentionSettings {
  /** FAIL and REVIEW images are always kept; this cannot be turned off. */
  keepPassEvery: number;
  maxStoreBytes: number;
  /**
   * Images pause while the data disk has less free space than the smaller of these two (rows are
   * still committed); defaults 1 GiB and 5 %.
   */
  minFreeBytes?: number;
  minFreePercent?: number;
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
  /** Which record the damage is in: firstBadId is an audit row id or an inspection id. */
  scope?: 'audit' | 'inspections' | 'checkpoint' | null;
  damage?: ChainDamageKind | null;
  /** Time span of the affected records (ISO), as far as the surviving data tells. */
  window?: { from: string | null; to: string | null } | null;
  checkedInspections?: number;
  /** When the newest signed checkpoint was made; null when the chain is not anchored. */
  checkpointAt?: string | null;
}

export type ChainDamageKind =
  'edited' | 'deleted' | 'inserted' | 'truncated' | 'rewritten' | 'unsigned' | 'key_replaced';

/** The latest signed checkpoint, to be kept outside the station (see docs/security.md). */
export interface CheckpointExportDto {
  format: 'station-checkpoint-export-v1';
  statement: string;
  signature: string;
  publicKey: string;
}

export interface SavedGoodFrame {
  inspectionId: number;
  path: string;
  /** True: the original frame (lossless); false: the stored copy the screens show (JPEG). */
  original: boolean;
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
        minFreeBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(2 ** 50)
          .optional(),
        minFreePercent: z.number().finite().min(0).max(50).optional(),
      })
      .strict()
      .optional(),
    providerOrder: z.array(providerName).min(1).max(5).optional(),
  })
  .strict();

/** Any ISO-8601 timestamp; stored as UTC `toISOString()` text, so it is compared in that form. */
const isoTime = z
  .string()
  .trim()
  .min(10)
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a valid date/time' })
  .transform((s) => new Date(s).toISOString());

const verdict = z.enum(['PASS', 'REVIEW', 'FAIL']);
const score = z.number().finite().min(-1e6).max(1e6);

/** What the History, Review and export screens filter on; every field narrows the set. */
export const inspectionFilter = z
  .object({
    verdicts: z.array(verdict).min(1).max(3).optional(),
    modelId: z.string().trim().min(1).max(200).optional(),
    productId: z.string().trim().min(1).max(40).optional(),
    runId: z.number().int().positive().optional(),
    /** Inclusive. */
    from: isoTime.optional(),
    /** Exclusive. */
    to: isoTime.optional(),
    minScore: score.optional(),
    maxScore: score.optional(),
    reviewed: z.boolean().optional(),
  })
  .strict();
export type InspectionFilterInput = z.input<typeof inspectionFilter>;

/**
 * A path on the station's own file system (in headless mode, the server's). Only the form is
 * checked here (the shared schema cannot use node:path); the station checks that it exists and
 * is readable. Operators are authenticated, so any readable folder is fair game.
 */
const stationPath = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), { message: 'must not contain NUL characters' })
  .refine((s) => s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\'), {
    message: 'must be an absolute path (e.g. /data/line3/good)',
  });
const modelId = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'not a model id');
const jobId = z.string().trim().min(1).max(80);
const rate = z.number().finite().min(0).max(0.5);
const threshold = z.number().finite().min(-1e6).max(1e6);

/** A model's display name: any printable text, one line. */
const modelName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .refine((s) => !/[\p{Cc}]/u.test(s), { message: 'must be one line of printable text' });

export type StationPathInput = z.input<typeof stationPath>;

const cursor = z.object({ at: isoTime, id: z.number().int().positive() }).strict();

const productId = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-" only');
const productThresholds = z
  .object({ t1: z.number().finite().min(0).max(10), t2: z.number().finite().min(0).max(10) })
  .strict()
  .refine((v) => v.t1 <= v.t2, { message: 'T1 must not be above T2', path: ['t1'] });
/** What a product sets when it is selected; null = leave that part of the line as it is. */
const productRecipe = {
  name: z.string().trim().min(1).max(80),
  /** A frame source configuration (checked by the station's source schema). */
  source: z.record(z.string(), z.unknown()).nullable(),
  thresholds: productThresholds.nullable(),
  /** A USB outputs configuration (checked by the device layer's schema). */
  outputs: z.record(z.string(), z.unknown()).nullable(),
  notes: z.string().trim().max(500).nullable(),
};

const userName = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-" only');
/** A PIN of at least 4 digits, or a password of at least 8 characters. */
const newPassword = z
  .string()
  .min(4)
  .max(200)
  .refine((p) => /^\d{4,}$/.test(p) || p.length >= 8, {
    message: 'use a PIN of at least 4 digits or a password of at least 8 characters',
  });

export const requestSchemas = {
  /** Who is signed in on this connection (public). */
  'auth.status': z.object({}).strict(),
  'auth.signIn': z.object({ name: userName, password: z.string().min(1).max(200) }).strict(),
  'auth.signOut': z.object({}).strict(),
  'auth.changePassword': z.object({ oldPassword: z.string().min(1).max(200), newPassword }).strict(),
  'users.list': z.object({}).strict(),
  'users.create': z
    .object({
      name: userName,
      displayName: z.string().trim().min(1).max(80),
      role: z.enum(ROLES),
      password: newPassword,
      actor,
      reason,
    })
    .strict(),
  'users.update': z
    .object({
      name: userName,
      displayName: z.string().trim().min(1).max(80).optional(),
      role: z.enum(ROLES).optional(),
      disabled: z.boolean().optional(),
      password: newPassword.optional(),
      actor,
      reason,
    })
    .strict(),
  /** Lifts a lockout after too many wrong passwords (disabling is users.update). */
  'users.unlock': z.object({ name: userName, actor, reason }).strict(),
  'system.info': z.object({}).strict(),
  'settings.get': z.object({}).strict(),
  'settings.update': z.object({ patch: settingsPatch, actor, reason }).strict(),
  'audit.list': z
    .object({
      beforeId: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    })
    .strict(),
  /** checkpoint: the text of an exported checkpoint kept outside the station, to verify against. */
  'audit.verify': z.object({ checkpoint: z.string().min(1).max(16_384).optional() }).strict(),
  'audit.exportCheckpoint': z.object({}).strict(),
  'station.state': z.object({}).strict(),
  'station.stats': z.object({}).strict(),
  'station.lastResult': z.object({}).strict(),
  /** Without a source, the station restarts the last one (or the demo line on a new station). */
  'station.start': z
    .object({
      source: z.record(z.string(), z.unknown()).optional(),
      actor: actor.optional(),
      reason: reason.optional(),
    })
    .strict(),
  'station.stop': z.object({ actor: actor.optional(), reason: reason.optional() }).strict(),
  'station.setThresholds': z
    .object({
      t1: z.number().finite().min(0).max(10),
      t2: z.number().finite().min(0).max(10),
      /** The model the thresholds were chosen for (History's what-if); refused if another one is live. */
      modelId: z.string().trim().min(1).max(200).optional(),
      actor,
      reason,
    })
    .strict()
    .refine((v) => v.t1 <= v.t2, { message: 'T1 must not be above T2', path: ['t1'] }),
  /**
   * Copies one chosen inspection's image into the good-candidates folder (the next training set).
   * Named by inspection id, never "the current frame": on a moving line that is already another part.
   */
  'station.saveFrameAsGood': z
    .object({
      inspectionId: z.number().int().positive(),
      /** The screen it was chosen on, for the audit trail. */
      from: z.enum(['live', 'review', 'history']),
      reason,
      actor,
    })
    .strict(),
  'devices.list': z.object({}).strict(),
  /** Cameras found on this PC and the source the line runs, for the Source screen. */
  'sources.options': z.object({}).strict(),
  /** Opens the source, returns its first frame and closes it again; the line is not touched. */
  'sources.test': z
    .object({
      source: z.record(z.string(), z.unknown()),
      timeoutMs: z.number().int().min(500).max(30_000).default(10_000),
    })
    .strict(),
  /** The output configuration is checked by the device layer's own schema. */
  'devices.configure': z.object({ config: z.record(z.string(), z.unknown()), actor, reason }).strict(),
  'devices.test': z
    .object({ deviceId: z.string().min(1).max(200), action: z.record(z.string(), z.unknown()) })
    .strict(),
  'inspections.list': z
    .object({
      filter: inspectionFilter.default({}),
      after: cursor.optional(),
      limit: z.number().int().min(1).max(500).default(50),
    })
    .strict(),
  'inspections.get': z.object({ id: z.number().int().positive() }).strict(),
  'inspections.models': z.object({}).strict(),
  'inspections.histogram': z
    .object({
      filter: inspectionFilter.default({}),
      bins: z.number().int().min(5).max(200).default(60),
      /** Values the range must cover besides the data (the thresholds, so they can be dragged). */
      include: z.array(score).max(4).default([]),
      /** Upper edge of the chart: higher scores are counted in the last bin, so a few extreme
       *  FAILs do not squeeze the region around the thresholds into a sliver. */
      max: score.optional(),
    })
    .strict(),
  'inspections.whatIf': z
    .object({ filter: inspectionFilter.default({}), t1: score, t2: score })
    .strict()
    .refine((v) => v.t1 <= v.t2, { message: 'T1 must not be above T2', path: ['t1'] }),
  'inspections.yieldOverTime': z
    .object({
      filter: inspectionFilter.default({}),
      /** 'auto' picks the finest size that gives at most ~120 buckets over the data. */
      bucket: z.enum(['auto', 'minute', 'hour', 'day']).default('auto'),
    })
    .strict(),
  /** CSV in keyset chunks, for the Electron window (the browser streams /api/export/inspections.csv). */
  'inspections.exportCsv': z
    .object({
      filter: inspectionFilter.default({}),
      after: cursor.optional(),
      limit: z.number().int().min(1).max(5000).default(2000),
    })
    .strict(),
  'reviews.record': z
    .object({
      inspectionId: z.number().int().positive(),
      decision: z.enum(['defect_confirmed', 'false_alarm']),
      defectType: z.string().trim().min(1).max(80).optional(),
      reason: z.string().trim().max(500).optional(),
      reviewer: actor,
      /** A part is decided once; a later decision must say that it changes the first, and why. */
      change: z.object({ reason }).strict().optional(),
    })
    .strict()
    // A false alarm overrules the model and feeds retraining, so it must say why.
    .refine((v) => v.decision !== 'false_alarm' || (v.reason !== undefined && v.reason.length > 0), {
      message: 'a reason is required for a false alarm',
      path: ['reason'],
    }),
  'reviews.list': z.object({ inspectionId: z.number().int().positive() }).strict(),
  'candidates.list': z
    .object({
      beforeId: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(500).default(50),
    })
    .strict(),
  'candidates.export': z.object({ actor }).strict(),
  /** Outputs configuration as applied, the example, and the choices a form offers. */
  'devices.config': z.object({}).strict(),
  /** Methods and presets the wizard offers, with this station's expected costs. */
  'training.methods': z.object({}).strict(),
  'training.scan': z.object({ goodDir: stationPath, defectDir: stationPath.optional() }).strict(),
  'training.start': z
    .object({
      goodDir: stationPath,
      defectDir: stationPath.optional(),
      method: z.string().trim().min(1).max(40),
      preset: z.string().trim().min(1).max(40),
      actor,
    })
    .strict(),
  /** The current (or last) job; null when none ran since the station started. */
  'training.status': z.object({}).strict(),
  'training.cancel': z.object({ jobId, actor }).strict(),
  /** Stops a training at its next step with a checkpoint; the job survives a station restart. */
  'training.pause': z.object({ jobId, actor, reason: reason.optional() }).strict(),
  /** Continues a paused job from its checkpoint. */
  'training.resume': z.object({ jobId, actor, reason: reason.optional() }).strict(),
  /** Calibration of a finished job at a target false-reject rate (and optionally fixed T1/T2). */
  'training.calibrate': z
    .object({
      jobId,
      targetFalseRejectRate: rate.default(0.02),
      /** Extra share of good parts allowed into REVIEW: sets T1 below T2. */
      reviewBudget: rate.default(0.05),
      t1: threshold.optional(),
      t2: threshold.optional(),
    })
    .strict()
    .refine((v) => v.t1 === undefined || v.t2 === undefined || v.t1 <= v.t2, {
      message: 'T1 must not be above T2',
      path: ['t1'],
    }),
  'training.save': z
    .object({
      jobId,
      /** Shown on Models and written into model.json; the id stays the technical key. */
      name: modelName.optional(),
      t1: threshold,
      t2: threshold,
      targetFalseRejectRate: rate,
      deploy: z.boolean(),
      actor,
      reason,
      notes: z.string().trim().max(500).optional(),
    })
    .strict()
    .refine((v) => v.t1 <= v.t2, { message: 'T1 must not be above T2', path: ['t1'] }),
  'training.discard': z.object({ jobId, actor }).strict(),
  'models.list': z.object({}).strict(),
  'models.get': z.object({ id: modelId }).strict(),
  /** With a product selected the version becomes that product's; a mismatch must be accepted. */
  'models.deploy': z
    .object({ id: modelId, acknowledgeMismatch: z.boolean().default(false), actor, reason })
    .strict(),
  /** Back to the version that was live before the active one. */
  'models.rollback': z.object({ actor, reason }).strict(),
  'models.import': z
    .object({
      path: stationPath,
      name: z
        .string()
        .trim()
        .min(1)
        .max(40)
        .regex(/^[\w .-]+$/, 'letters, digits, space, "_", "." and "-" only')
        .optional(),
      actor,
      reason,
    })
    .strict(),
  'models.compare': z
    .object({
      a: modelId,
      b: modelId,
      folder: stationPath,
      limit: z.number().int().min(1).max(500).default(100),
    })
    .strict()
    .refine((v) => v.a !== v.b, { message: 'pick two different versions', path: ['b'] }),
  'products.list': z.object({}).strict(),
  'products.get': z.object({ id: productId }).strict(),
  'products.create': z
    .object({
      id: productId.optional(),
      name: productRecipe.name,
      source: productRecipe.source.default(null),
      thresholds: productRecipe.thresholds.default(null),
      outputs: productRecipe.outputs.default(null),
      notes: productRecipe.notes.default(null),
      actor,
      reason,
    })
    .strict(),
  /** Fields left out stay as they are; null clears one ("leave the line's … as it is"). */
  'products.update': z
    .object({
      id: productId,
      name: productRecipe.name.optional(),
      source: productRecipe.source.optional(),
      thresholds: productRecipe.thresholds.optional(),
      outputs: productRecipe.outputs.optional(),
      notes: productRecipe.notes.optional(),
      actor,
      reason,
    })
    .strict(),
  /** Would this model fit this product? The warnings a deploy would ask to accept. */
  'products.check': z.object({ id: productId, modelId }).strict(),
  /** Makes a model version the product's (and the line's, when the product is selected). */
  'products.deploy': z
    .object({
      id: productId,
      modelId,
      acknowledgeMismatch: z.boolean().default(false),
      actor,
      reason,
    })
    .strict(),
  /** Switches the line to a product (its model, thresholds, outputs, source) and starts a new run; null: none. */
  'products.activate': z.object({ id: productId.nullable(), actor, reason }).strict(),
  /** Image-store files for both transports (small JPEG/PNG frames and heatmaps). */
  'images.get': z.object({ ref: z.string().min(1).max(200) }).strict(),
  ...fleetRequestSchemas,
} as const;

export type ApiMethod = keyof typeof requestSchemas;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof requestSchemas)[M]>;
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof requestSchemas)[M]>;

export interface ApiResults extends FleetResults {
  'auth.status': AuthStatus;
  'auth.signIn': AuthStatus;
  'auth.signOut': AuthStatus;
  'auth.changePassword': UserDto;
  'users.list': UserDto[];
  'users.create': UserDto;
  'users.update': UserDto;
  'users.unlock': UserDto;
  'system.info': SystemInfo;
  'settings.get': Settings;
  'settings.update': Settings;
  'audit.list': AuditPage;
  'audit.verify': AuditVerification;
  'audit.exportCheckpoint': CheckpointExportDto;
  'station.state': StationState;
  'station.stats': StationStats;
  'station.lastResult': ResultSnapshot | null;
  'station.start': StationState;
  'station.stop': StationState;
  'station.setThresholds': Thresholds;
  'station.saveFrameAsGood': SavedGoodFrame;
  'devices.list': DeviceListing;
  'sources.options': SourceOptions;
  'sources.test': SourceTestResult;
  'devices.configure': Record<string, unknown>;
  'devices.test': OutputState;
  'inspections.list': InspectionListPage;
  'inspections.get': InspectionDetail;
  'inspections.models': ModelUsage[];
  'inspections.histogram': ScoreHistogram;
  'inspections.whatIf': WhatIfResult;
  'inspections.yieldOverTime': YieldOverTime;
  'inspections.exportCsv': CsvChunk;
  'reviews.record': { decision: ReviewDecisionDto; auditId: number };
  'reviews.list': ReviewDecisionDto[];
  'candidates.list': CandidatePage;
  'candidates.export': CandidateExport;
  'images.get': ImageData64;
  'devices.config': DeviceConfigView;
  'training.methods': MethodInfo[];
  'training.scan': ScanReport & { estimates: TrainingEstimate[] };
  'training.start': TrainingJobDto;
  'training.status': TrainingJobDto | null;
  'training.cancel': TrainingJobDto;
  'training.pause': TrainingJobDto;
  'training.resume': TrainingJobDto;
  'training.calibrate': CalibrationReport;
  'training.save': ModelVersionDto;
  'training.discard': TrainingJobDto;
  'models.list': ModelList;
  'models.get': ModelVersionDto;
  'models.deploy': ModelVersionDto;
  'models.rollback': ModelVersionDto;
  'models.import': ModelVersionDto;
  'models.compare': ModelCompareResult;
  'products.list': ProductList;
  'products.get': ProductDetail;
  'products.create': ProductDto;
  'products.update': ProductDto;
  'products.check': ProductCheck;
  'products.deploy': ProductDto;
  'products.activate': ProductList;
}

export interface ModelList {
  versions: ModelVersionDto[];
  activeId: string | null;
  /** The model the live loop runs now (may differ from the active row only while loading). */
  liveModelId: string | null;
  /** What models.rollback would go back to; null when there is nothing to roll back to. */
  rollbackTo: { id: string; version: number } | null;
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
  /** A QA decision was recorded (any client), so queues and tables can refresh. */
  'review.recorded': ReviewDecisionDto;
  /** Training job state and progress (≤ 4 per second while running). */
  'training.progress': TrainingJobDto;
  /** A product was created, changed, given a model or selected (any client). */
  'products.changed': {
    activeId: string | null;
    id: string | null;
    change: 'created' | 'updated' | 'deployed' | 'activated';
  };
  /** A version was created, imported, deployed or rolled back. */
  'models.changed': {
    activeId: string | null;
    change: 'created' | 'imported' | 'deployed' | 'rolled_back';
    id: string;
  };
}
export type ApiEventName = keyof ApiEvents;

// ---------- Client surface used by the renderer ----------

export interface StationClient {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResults[M]>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export { ApiError, type ApiErrorBody } from './errors';
export type * from './inspections';
export type * from './training';
export type * from './sources';
export type * from './users';
export type * from './fleet';
export { fleetFilter, fleetLinkConfig } from './fleet';
export type * from './products';
