// The fleet: the central review server's screens (queue across stations, per-line yield,
// central verification) and a station's fleet link (replication, plant outputs). Schemas and DTOs
// shared by the main process and the UI.
import { z } from 'zod';
import type { InspectionDto, ReviewDecisionDto } from './inspections';

const stationId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'station id: 1-64 letters, digits, ".", "_" or "-"');
const isoTime = z
  .string()
  .trim()
  .min(10)
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a valid date/time' })
  .transform((s) => new Date(s).toISOString());
const score = z.number().finite().min(-1e6).max(1e6);

/** What the fleet queue, yield and export filter on; every field narrows the set. */
export const fleetFilter = z
  .object({
    verdicts: z
      .array(z.enum(['PASS', 'REVIEW', 'FAIL']))
      .min(1)
      .max(3)
      .optional(),
    stationId: stationId.optional(),
    product: z.string().trim().min(1).max(200).optional(),
    modelId: z.string().trim().min(1).max(200).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    minScore: score.optional(),
    maxScore: score.optional(),
    /** Reviewed = decided at the station or decided here (applied or still pending). */
    reviewed: z.boolean().optional(),
  })
  .strict();
export type FleetFilter = z.output<typeof fleetFilter>;
export type FleetFilterInput = z.input<typeof fleetFilter>;

const fleetCursor = z.object({ at: isoTime, id: z.number().int().positive() }).strict();

const centralUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^postgres(ql)?:\/\/\S+$/, 'the central database must be a postgres:// URL');
const mqttUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^mqtts?:\/\/\S+$/, 'the broker must be an mqtt:// or mqtts:// URL');
const webhookUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^https?:\/\/\S+$/, 'the webhook must be an http:// or https:// URL');
const topicPrefix = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
    'topic prefix: segments of letters, digits, ".", "_" or "-"',
  );

const mqttTopic = z
  .string()
  .trim()
  .max(256)
  .regex(
    /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
    'topic: segments of letters, digits, ".", "_" or "-" separated by "/" (no wildcards)',
  );
const productKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'product id: lower-case letters, digits and "-"');

/**
 * One product's verdict route. `topic` left out: the station's topic; `webhookUrl` left out: the
 * station's webhook, null: none for this product; `publish: false`: its verdicts go nowhere.
 */
export const productOutputs = z
  .object({
    publish: z.boolean(),
    topic: mqttTopic.optional(),
    webhookUrl: webhookUrl.nullable().optional(),
  })
  .strict();
export type ProductOutputs = z.output<typeof productOutputs>;

/** The station's fleet link as the Settings screen edits it. null removes that part. */
export const fleetLinkConfig = z
  .object({
    stationId,
    replication: z
      .object({
        centralUrl,
        outboxCap: z.number().int().min(1000).max(100_000_000).optional(),
      })
      .strict()
      .nullable(),
    outputs: z
      .object({
        product: z.string().trim().min(1).max(200).optional(),
        mqtt: z
          .object({
            url: mqttUrl,
            username: z.string().max(200).optional(),
            password: z.string().max(200).optional(),
            topicPrefix: topicPrefix.optional(),
          })
          .strict()
          .nullable(),
        webhook: z.object({ url: webhookUrl }).strict().nullable(),
        /** Products routed differently from the station's targets (by product id). */
        products: z.record(productKey, productOutputs).default({}),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type FleetLinkConfig = z.output<typeof fleetLinkConfig>;

export const fleetRequestSchemas = {
  /** Stations known to the central database and the products seen. */
  'fleet.overview': z.object({}).strict(),
  'fleet.inspections': z
    .object({
      filter: fleetFilter.default({}),
      after: fleetCursor.optional(),
      limit: z.number().int().min(1).max(500).default(50),
    })
    .strict(),
  'fleet.inspection': z.object({ id: z.number().int().positive() }).strict(),
  'fleet.decide': z
    .object({
      id: z.number().int().positive(),
      decision: z.enum(['defect_confirmed', 'false_alarm']),
      defectType: z.string().trim().min(1).max(80).optional(),
      reason: z.string().trim().max(500).optional(),
      reviewer: z.string().trim().min(1).max(80),
      change: z
        .object({ reason: z.string().trim().min(1).max(500) })
        .strict()
        .optional(),
    })
    .strict()
    .refine((v) => v.decision !== 'false_alarm' || (v.reason !== undefined && v.reason.length > 0), {
      message: 'a reason is required for a false alarm',
      path: ['reason'],
    }),
  /** Yield per station (line) over the filter. */
  'fleet.yield': z.object({ filter: fleetFilter.default({}) }).strict(),
  /** CSV in keyset chunks (the browser streams GET /api/export/fleet.csv instead). */
  'fleet.exportCsv': z
    .object({
      filter: fleetFilter.default({}),
      after: fleetCursor.optional(),
      limit: z.number().int().min(1).max(5000).default(2000),
    })
    .strict(),
  /** Re-verifies a station's audit chain, checkpoints and sealed inspections from the central copy. */
  'fleet.verify': z.object({ stationId }).strict(),
  /** This station's fleet link: configuration (secrets hidden) and live state. */
  'fleet.status': z.object({}).strict(),
  'fleet.configure': z
    .object({
      config: fleetLinkConfig,
      actor: z.string().trim().min(1).max(80),
      reason: z.string().trim().min(1).max(500),
    })
    .strict(),
  /** Tries one target of a configuration without saving it. */
  'fleet.test': z
    .object({
      target: z.enum(['central', 'mqtt', 'webhook']),
      config: fleetLinkConfig,
      /** Test this product's route (its topic or webhook) instead of the station's. */
      product: productKey.optional(),
      timeoutMs: z.number().int().min(500).max(30_000).default(8000),
    })
    .strict(),
} as const;

export type FleetMethod = keyof typeof fleetRequestSchemas;

export interface FleetStationDto {
  stationId: string;
  lastSeq: number;
  lastSeen: string | null;
  /** Decisions made here that the station has not applied yet. */
  pendingDecisions: number;
}

export interface FleetOverview {
  stations: FleetStationDto[];
  products: string[];
  /** Central schema version and where the server reads from (password hidden). */
  schemaVersion: number;
  database: string;
}

export interface CentralDecisionDto {
  id: number;
  stationId: string;
  inspectionId: number;
  decidedAt: string;
  reviewer: string;
  decision: ReviewDecisionDto['decision'];
  defectType: string | null;
  reason: string | null;
  changeReason: string | null;
  /** Set once the station applied it (its own review decision id). */
  appliedAt: string | null;
  stationReviewId: number | null;
  /** Why the station refused it (e.g. decided there meanwhile). */
  applyError: string | null;
}

/** A part as the fleet lists it: `id` is the central id; `stationInspectionId` the station's. */
export interface FleetInspectionDto extends InspectionDto {
  stationId: string;
  stationInspectionId: number;
  /** The newest decision made here that the station has not applied yet. */
  pending: Pick<CentralDecisionDto, 'decision' | 'reviewer' | 'decidedAt' | 'applyError'> | null;
}

export interface FleetInspectionPage {
  rows: FleetInspectionDto[];
  next: { at: string; id: number } | null;
}

export interface FleetInspectionDetail {
  inspection: FleetInspectionDto;
  /** Decisions the station recorded (replicated), oldest first. */
  stationDecisions: ReviewDecisionDto[];
  /** Decisions made on the fleet server, oldest first, with how each fared at the station. */
  centralDecisions: CentralDecisionDto[];
}

export interface FleetYieldRow {
  stationId: string;
  total: number;
  pass: number;
  review: number;
  fail: number;
  /** pass / total; null when there is nothing. */
  yield: number | null;
  firstAt: string | null;
  lastAt: string | null;
}

export interface FleetVerification {
  stationId: string;
  ok: boolean;
  audit: { ok: boolean; rows: number; firstBadId: number | null; problem: string | null };
  records: {
    ok: boolean;
    problem: string | null;
    firstBad: { kind: string; id: number | null } | null;
    checkpoints: number;
    batches: number;
    inspections: number;
    pendingInspections: number;
    newestCheckpointAt: string | null;
  };
  verifiedAt: string;
}

export interface FleetLinkStatus {
  /** Saved configuration with passwords replaced by "•••"; null when the station is not in a fleet. */
  config: FleetLinkConfig | null;
  replication: {
    connected: boolean;
    lastError: string | null;
    lastShippedAt: string | null;
    /** Age of the oldest entry still waiting, in seconds (the replication lag); null when empty. */
    lagSeconds: number | null;
    outbox: { queued: number; cap: number; dropped: number; full: boolean };
    decisions: { appliedSeq: number; lastPullAt: string | null; lastError: string | null };
  } | null;
  outputs: {
    mqttConnected: boolean;
    published: number;
    webhookDelivered: number;
    webhookFailed: number;
    dropped: number;
    pending: number;
    lastError: string | null;
  } | null;
  configErrors: string[];
}

export interface FleetTestResult {
  ok: boolean;
  target: 'central' | 'mqtt' | 'webhook';
  /** What happened, in words (server version, broker answer, HTTP status, or the error). */
  message: string;
  ms: number;
}

export interface FleetResults {
  'fleet.overview': FleetOverview;
  'fleet.inspections': FleetInspectionPage;
  'fleet.inspection': FleetInspectionDetail;
  'fleet.decide': CentralDecisionDto;
  'fleet.yield': FleetYieldRow[];
  'fleet.exportCsv': { csv: string; rows: number; next: { at: string; id: number } | null };
  'fleet.verify': FleetVerification;
  'fleet.status': FleetLinkStatus;
  'fleet.configure': FleetLinkStatus;
  'fleet.test': FleetTestResult;
}
