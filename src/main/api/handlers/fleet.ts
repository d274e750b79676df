// The station's fleet link (Settings card): status, configuration, connection tests. The central
// review methods (fleet.overview … fleet.verify) are answered only by the fleet server.
import { ApiError, type ApiParsedRequest, type FleetLinkStatus } from '@shared/api';
import type { ApiHandlers } from '../dispatch';
import { readLinkConfig, testLinkTarget, unmask, writeLinkConfig } from '../../fleet/link-config';
import type { StationContext } from './context';

type CentralOnly =
  | 'fleet.overview'
  | 'fleet.inspections'
  | 'fleet.inspection'
  | 'fleet.decide'
  | 'fleet.yield'
  | 'fleet.exportCsv'
  | 'fleet.verify';

const CENTRAL_ONLY: CentralOnly[] = [
  'fleet.overview',
  'fleet.inspections',
  'fleet.inspection',
  'fleet.decide',
  'fleet.yield',
  'fleet.exportCsv',
  'fleet.verify',
];

export function fleetLinkHandlers(
  s: StationContext,
): Pick<ApiHandlers, 'fleet.status' | 'fleet.configure' | 'fleet.test' | CentralOnly> {
  const status = (): FleetLinkStatus => {
    const st = s.fleet.state();
    const r = st.replication;
    const oldest = r?.outbox.oldestQueuedAt ? Date.parse(r.outbox.oldestQueuedAt) : null;
    return {
      config: readLinkConfig(s.settings, { mask: true }),
      replication: r
        ? {
            connected: r.connected,
            lastError: r.lastError,
            lastShippedAt: r.lastShippedAt,
            lagSeconds: oldest === null ? null : Math.max(0, (Date.now() - oldest) / 1000),
            outbox: {
              queued: r.outbox.queued,
              cap: r.outbox.cap,
              dropped: r.outbox.dropped,
              full: r.outbox.full,
            },
            decisions: st.decisions ?? { appliedSeq: 0, lastPullAt: null, lastError: null },
          }
        : null,
      outputs: st.outputs,
      configErrors: st.configErrors,
    };
  };
  const notHere = (method: CentralOnly) => () => {
    throw new ApiError(
      'not_found',
      `${method} is answered by the fleet server (npm run serve -- --fleet postgres://…), not by a station.`,
    );
  };
  return {
    ...(Object.fromEntries(CENTRAL_ONLY.map((m) => [m, notHere(m)])) as unknown as Pick<
      ApiHandlers,
      CentralOnly
    >),
    'fleet.status': () => status(),
    'fleet.configure': async (req: ApiParsedRequest<'fleet.configure'>) => {
      const stored = readLinkConfig(s.settings, { mask: false });
      const next = unmask(req.config, stored);
      writeLinkConfig(s.settings, next, { actor: req.actor, reason: req.reason });
      // The services read their configuration when they start; restart them on the new one.
      await s.fleet.restart();
      return status();
    },
    'fleet.test': (req: ApiParsedRequest<'fleet.test'>) => {
      const stored = readLinkConfig(s.settings, { mask: false });
      return testLinkTarget(req.target, unmask(req.config, stored), req.timeoutMs, req.product);
    },
  };
}
