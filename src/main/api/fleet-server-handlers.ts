// The fleet server's API: the same contract as a station's, answered from the central database.
// Methods that need a station (the line, sources, training, models, devices, its settings) answer
// "not available on the fleet server" instead of pretending; the renderer shows the same words.
import {
  ApiError,
  apiMethods,
  type ApiMethod,
  type ApiParsedRequest,
  type FleetFilter,
  type FleetInspectionDto,
  type SystemInfo,
} from '@shared/api';
import { APP_VERSION } from '../app-version';
import type { CentralStore, FleetCursor } from '../fleet/central-store';
import type { AuditTrail } from '../storage/audit-trail';
import type { SettingsStore } from '../storage/settings-store';
import type { SessionStore } from '../users/sessions';
import type { UserStore } from '../users/user-store';
import type { ApiHandlers } from './dispatch';
import { userHandlers } from './handlers/users';
import type { AccessControl } from '../users/access';
import { csvField } from './inspection-queries';

export interface FleetServerContext {
  store: CentralStore;
  /** The fleet server's own database: accounts, its settings, its audit trail. */
  audit: AuditTrail;
  settings: SettingsStore;
  users: UserStore;
  sessions: SessionStore;
  /** Wrong-password lockouts (shown and lifted on the Users screen). */
  access: AccessControl;
  dataDir: string;
  databasePath: string;
  serverUrl(): string | null;
}

/** Methods the fleet server answers; every other one is a station's. */
const ANSWERED = new Set<ApiMethod>([
  'system.info',
  'settings.get',
  'settings.update',
  'users.list',
  'users.create',
  'users.update',
  'users.unlock',
  'audit.list',
  'images.get',
  'fleet.overview',
  'fleet.inspections',
  'fleet.inspection',
  'fleet.decide',
  'fleet.yield',
  'fleet.exportCsv',
  'fleet.verify',
]);

export function fleetServerHandlers(c: FleetServerContext): ApiHandlers {
  const notHere = (method: string) => () => {
    throw new ApiError(
      'not_found',
      `${method} is not available on the fleet server: it belongs to a station (open that station's own screen).`,
    );
  };
  const unavailable = Object.fromEntries(
    apiMethods.filter((m) => !ANSWERED.has(m) && !m.startsWith('auth.')).map((m) => [m, notHere(m)]),
  ) as unknown as ApiHandlers;

  return {
    ...unavailable,
    ...userHandlers(c),
    'system.info': async (): Promise<SystemInfo> => {
      const sizes = await c.store.sizes();
      return {
        appVersion: APP_VERSION,
        onnxRuntimeVersion: 'not used on the fleet server',
        executionProviders: [],
        providerOrder: [],
        dataDir: c.dataDir,
        databasePath: c.databasePath,
        databaseSizeBytes: sizes.databaseBytes,
        schemaVersion: (await c.store.overview()).schemaVersion,
        imageStoreBytes: sizes.imageBytes,
        headlessUrl: c.serverUrl(),
        mode: 'fleet',
        platform: process.platform,
        nodeVersion: process.version,
        electronVersion: null,
      };
    },
    'settings.get': () => c.settings.get(),
    'settings.update': (req: ApiParsedRequest<'settings.update'>) =>
      c.settings.update(req.patch, req.actor, req.reason).settings,
    'audit.list': (req: ApiParsedRequest<'audit.list'>) => c.audit.list(req),
    'images.get': async (req: ApiParsedRequest<'images.get'>) => {
      const data = await readCentralImage(c.store, req.ref);
      return { ref: req.ref, mime: data.mime, base64: data.data.toString('base64'), bytes: data.data.length };
    },
    'fleet.overview': () => c.store.overview(),
    'fleet.inspections': (req: ApiParsedRequest<'fleet.inspections'>) =>
      c.store.list(req.filter, req.after, req.limit),
    'fleet.inspection': (req: ApiParsedRequest<'fleet.inspection'>) => c.store.get(req.id),
    'fleet.decide': async (req: ApiParsedRequest<'fleet.decide'>) => {
      const d = await c.store.decide({
        id: req.id,
        reviewer: req.reviewer,
        decision: req.decision,
        defectType: req.defectType ?? null,
        reason: req.reason ?? null,
        change: req.change ?? null,
      });
      // The central row names who and why; the fleet server's own trail records the act as well.
      c.audit.append({
        actor: req.reviewer,
        action: req.change ? 'fleet.review_change' : 'fleet.review_decide',
        entity: `station:${d.stationId}/inspection:${d.inspectionId}`,
        newValue: JSON.stringify({ decision: d.decision, defectType: d.defectType, centralDecisionId: d.id }),
        reason: req.change?.reason ?? d.reason,
      });
      return d;
    },
    'fleet.yield': (req: ApiParsedRequest<'fleet.yield'>) => c.store.yieldByStation(req.filter),
    'fleet.exportCsv': async (req: ApiParsedRequest<'fleet.exportCsv'>) => {
      const rows = await c.store.page(req.filter, req.after, req.limit);
      const last = rows[rows.length - 1];
      return {
        csv: (req.after ? '' : FLEET_CSV_HEADER) + rows.map(fleetCsvLine).join(''),
        rows: rows.length,
        next: rows.length === req.limit && last ? { at: last.at, id: last.id } : null,
      };
    },
    'fleet.verify': async (req: ApiParsedRequest<'fleet.verify'>) => {
      const { audit, records } = await c.store.verify(req.stationId);
      return {
        stationId: req.stationId,
        ok: audit.ok && records.ok,
        audit: { ok: audit.ok, rows: audit.rows, firstBadId: audit.firstBadId, problem: audit.problem },
        records: {
          ok: records.ok,
          problem: records.problem,
          firstBad: records.firstBad,
          checkpoints: records.checkpoints,
          batches: records.batches,
          inspections: records.inspections,
          pendingInspections: records.pendingInspections,
          newestCheckpointAt: records.newestCheckpointAt,
        },
        verifiedAt: new Date().toISOString(),
      };
    },
  };
}

export const FLEET_CSV_HEADER =
  'central_id,station,station_inspection_id,product,run_id,source_ref,at,verdict,norm_score,raw_score,model_id,model_version,' +
  'source,frame_id,reviewed,decision,defect_type,reviewer,pending_central_decision,image_sha256,heatmap_sha256\r\n';

export function fleetCsvLine(r: FleetInspectionDto): string {
  return `${[
    r.id,
    r.stationId,
    r.stationInspectionId,
    r.productId,
    r.runId,
    r.sourceRef,
    r.at,
    r.verdict,
    r.normScore,
    r.rawScore,
    r.modelId,
    r.modelVersion,
    r.source,
    r.frameId,
    r.review || r.pending ? 'yes' : 'no',
    r.review?.decision ?? null,
    r.review?.defectType ?? null,
    r.review?.reviewer ?? null,
    r.pending?.decision ?? null,
    r.imageRef,
    r.heatmapRef,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

/** Streams the filtered rows as CSV, one keyset page per chunk, header first. */
export async function* fleetCsvLines(
  store: CentralStore,
  filter: FleetFilter,
  pageSize = 2000,
): AsyncGenerator<string> {
  yield FLEET_CSV_HEADER;
  let after: FleetCursor | undefined;
  for (;;) {
    const rows = await store.page(filter, after, pageSize);
    if (rows.length === 0) return;
    yield rows.map(fleetCsvLine).join('');
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { at: last.at, id: last.id };
  }
}

/** Central image refs are SHA-256s; the bytes say what they are. */
export async function readCentralImage(
  store: CentralStore,
  ref: string,
): Promise<{ data: Buffer; mime: string }> {
  if (!/^[0-9a-f]{64}$/.test(ref)) {
    throw new ApiError('bad_request', 'A central image ref is the image SHA-256 (64 hex digits).');
  }
  const data = await store.image(ref);
  if (!data)
    throw new ApiError(
      'not_found',
      `Image ${ref} is not in the central database (not replicated yet, or never stored).`,
    );
  return { data, mime: sniffMime(data) };
}

function sniffMime(b: Buffer): string {
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  if (b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return 'application/octet-stream';
}
