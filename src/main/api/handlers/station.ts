// The live line: state, start/stop, thresholds, "save this frame as good".
import { join } from 'node:path';
import type { ApiParsedRequest } from '@shared/api';
import { parseSource } from './sources';
import { withFit } from '../../model-store/heatmap-fit';
import { GOOD_CANDIDATES_DIR } from './context';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function stationHandlers(
  s: StationContext,
): Pick<
  ApiHandlers,
  | 'station.state'
  | 'station.stats'
  | 'station.lastResult'
  | 'station.start'
  | 'station.stop'
  | 'station.setThresholds'
  | 'station.saveFrameAsGood'
> {
  const { paths, audit, settings, live, stationCall, startLine, startSource, fitOfDir } = s;
  // Who started and stopped the line is part of the record: inspections between the two are theirs.
  const auditRun = (action: 'station.start' | 'station.stop', actor: string | undefined): void => {
    audit.append({
      actor: actor ?? settings.get().operatorName,
      action,
      entity: 'station.line',
      newValue: live.state().source?.label ?? null,
      reason: action === 'station.start' ? 'line started' : 'line stopped',
    });
  };
  return {
    'station.state': () => live.state(),
    'station.stats': () => live.stats(),
    'station.lastResult': () => {
      const snap = live.lastResult();
      return snap ? withFit(snap, live.state().model?.dir ?? null, fitOfDir) : null;
    },
    'station.start': (req: ApiParsedRequest<'station.start'>) =>
      stationCall(async () => {
        if (!req.source) {
          await startLine(req.actor);
          auditRun('station.start', req.actor);
          return live.state();
        }
        await startSource(parseSource(req.source), req.actor ?? settings.get().operatorName);
        auditRun('station.start', req.actor);
        return live.state();
      }),
    'station.stop': (req: ApiParsedRequest<'station.stop'>) =>
      stationCall(async () => {
        const wasRunning = live.state().status === 'running';
        const state = await live.stop();
        if (wasRunning) auditRun('station.stop', req.actor);
        return state;
      }),
    'station.setThresholds': (req: ApiParsedRequest<'station.setThresholds'>) =>
      stationCall(() => live.setThresholds({ t1: req.t1, t2: req.t2 }, req.actor, req.reason).new),
    'station.saveFrameAsGood': (req: ApiParsedRequest<'station.saveFrameAsGood'>) =>
      stationCall(async () => {
        const saved = await live.saveFrameAsGood(req.frameId, join(paths.root, GOOD_CANDIDATES_DIR));
        audit.append({
          actor: req.actor,
          action: 'training.add_good',
          entity: `frame:${req.frameId}`,
          newValue: saved.path,
          reason: 'operator saved this frame as good',
        });
        return saved;
      }),
  };
}
