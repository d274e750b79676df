// The station's fleet services, configured in its settings table: replication into the central
// database and verdict outputs to the plant. Either may be absent; a saved configuration that no
// longer validates is reported in the state, never fatal to the station.
import { z } from 'zod';
import type { Db } from '../storage/database';
import type { NewInspection } from '../storage/inspections';
import type { SettingsStore } from '../storage/settings-store';
import { PlantPublisher, plantOutputsConfig, type PlantPublisherState } from './plant-publisher';
import { Replicator, type ReplicatorState } from './replicator';
import { DecisionLink, type DecisionLinkState, type PulledDecision } from './decision-link';

export const FLEET_REPLICATION_KEY = 'fleet.replication';
export const FLEET_OUTPUTS_KEY = 'fleet.outputs';

export const fleetReplicationConfig = z
  .object({
    centralUrl: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'central database must be a postgres:// URL'),
    stationId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'station id: 1-64 letters, digits, ".", "_" or "-"'),
    outboxCap: z.number().int().min(1000).max(100_000_000).optional(),
  })
  .strict();
export type FleetReplicationConfig = z.output<typeof fleetReplicationConfig>;

export interface StationFleetState {
  replication: ReplicatorState | null;
  /** Central review decisions coming back to this station; null without replication. */
  decisions: DecisionLinkState | null;
  outputs: PlantPublisherState | null;
  /** Saved configuration that could not be used, and why. */
  configErrors: string[];
}

export interface StationFleet {
  onResult(row: NewInspection): void;
  state(): StationFleetState;
  close(): Promise<void>;
}

export function startStationFleet(deps: {
  db: Db;
  settings: SettingsStore;
  imagesDir: string;
  /** The station's audited review path, for decisions made on the fleet server (synchronous). */
  applyDecision?: (d: PulledDecision) => { reviewId: number };
  /** Test seam: how often the station asks for central decisions. */
  decisionPollMs?: number;
}): StationFleet {
  const configErrors: string[] = [];
  const parse = <T>(key: string, schema: z.ZodType<T>): T | null => {
    const raw = deps.settings.getInternal<unknown>(key);
    if (raw === undefined) return null;
    const r = schema.safeParse(raw);
    if (!r.success) configErrors.push(`${key}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    return r.success ? r.data : null;
  };
  const repl = parse(FLEET_REPLICATION_KEY, fleetReplicationConfig);
  const outputs = parse(FLEET_OUTPUTS_KEY, plantOutputsConfig);

  let replicator: Replicator | null = null;
  let decisions: DecisionLink | null = null;
  if (repl) {
    const hasOutbox = deps.db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fleet_outbox'`)
      .get();
    if (!hasOutbox) {
      configErrors.push(
        `${FLEET_REPLICATION_KEY}: this station database has no fleet outbox (schema too old)`,
      );
    } else {
      replicator = new Replicator({
        db: deps.db,
        stationId: repl.stationId,
        imagesDir: deps.imagesDir,
        central: { connectionString: repl.centralUrl },
      });
      if (repl.outboxCap) deps.db.prepare('UPDATE fleet_outbox_state SET cap = ?').run(repl.outboxCap);
      replicator.start();
      if (deps.applyDecision) {
        decisions = new DecisionLink({
          db: deps.db,
          settings: deps.settings,
          stationId: repl.stationId,
          central: { connectionString: repl.centralUrl },
          apply: deps.applyDecision,
          pollMs: deps.decisionPollMs,
        });
        decisions.start();
      }
    }
  }
  const publisher = outputs ? new PlantPublisher(outputs) : null;

  return {
    onResult(row) {
      if (!publisher || !outputs) return;
      publisher.publish(
        {
          station: outputs.stationId,
          // The product the line ran for this part; the configured name or the model only without one.
          product: row.productId ?? outputs.product ?? row.modelId,
          partId: row.frameId ?? '',
          verdict: row.verdict,
          score: row.normScore,
          at: row.at,
        },
        row.productId ?? null,
      );
    },
    state: () => ({
      replication: replicator?.state() ?? null,
      decisions: decisions?.state() ?? null,
      outputs: publisher?.state() ?? null,
      configErrors: [...configErrors],
    }),
    async close() {
      await Promise.all([replicator?.stop(), decisions?.stop(), publisher?.close()]);
    },
  };
}
