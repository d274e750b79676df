// The live line: state, start/stop, thresholds, "save this frame as good".
import { join } from 'node:path';
import type { ApiParsedRequest } from '@shared/api';
import type { StationState } from '@shared/station';
import { parseSource } from './sources';
import { withFit } from '../../model-store/heatmap-fit';
import { saveInspectionAsGood } from '../../station/save-good';
import { ApiError } from '@shared/errors';
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
  const {
    paths,
    audit,
    settings,
    live,
    products,
    queries,
    images,
    stationCall,
    startLine,
    startSource,
    fitOfDir,
  } = s;
  // Starting or stopping the line changes what is inspected, so it is audited like any setting.
  const auditLineChange = (
    action: 'station.start' | 'station.stop',
    actor: string,
    reason: string,
    before: StationState,
    after: StationState,
  ): void => {
    audit.append({
      actor,
      action,
      entity: 'station.line',
      oldValue: lineSummary(before),
      newValue: lineSummary(after),
      reason,
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
        const who = req.actor ?? settings.get().operatorName;
        const why = req.reason ?? 'start requested (no reason given)';
        const before = live.state();
        if (!req.source) {
          await startLine(who);
        } else {
          await startSource(parseSource(req.source), who, why);
        }
        const after = live.state();
        auditLineChange('station.start', who, why, before, after);
        return after;
      }),
    'station.stop': (req: ApiParsedRequest<'station.stop'>) =>
      stationCall(async () => {
        const who = req.actor ?? settings.get().operatorName;
        const before = live.state();
        const after = await live.stop();
        auditLineChange('station.stop', who, req.reason ?? 'stop requested (no reason given)', before, after);
        return after;
      }),
    'station.setThresholds': (req: ApiParsedRequest<'station.setThresholds'>) =>
      stationCall(() => {
        const liveModel = live.state().model;
        // Thresholds chosen on one model's scores mean nothing on another's (History's what-if).
        if (req.modelId !== undefined && liveModel && liveModel.id !== req.modelId) {
          throw new ApiError(
            'conflict',
            `These thresholds were chosen for ${req.modelId}, but the line runs ${liveModel.id}; they were not applied.`,
          );
        }
        const next = { t1: req.t1, t2: req.t2 };
        const changed = live.setThresholds(next, req.actor, req.reason).new;
        // The selected product keeps its thresholds, so switching back to it restores them.
        const product = products.active();
        if (product && product.modelId === liveModel?.id) {
          products.update(product.id, { thresholds: changed }, { actor: req.actor, reason: req.reason });
        }
        return changed;
      }),
    'station.saveFrameAsGood': async (req: ApiParsedRequest<'station.saveFrameAsGood'>) => {
      // Read on the main connection: the row (and its review) as of this moment, not a worker's lag.
      const inspection = queries.get(req.inspectionId);
      if (!inspection) throw new ApiError('not_found', `Inspection ${req.inspectionId} does not exist.`);
      const saved = await saveInspectionAsGood({
        inspection,
        held: inspection.imageRef ? await live.heldOriginal(inspection.id) : null,
        readStored: (ref) => images.get(ref),
        folder: join(paths.root, GOOD_CANDIDATES_DIR),
      });
      audit.append({
        actor: req.actor,
        action: 'training.add_good',
        entity: `inspection:${inspection.id}`,
        oldValue: JSON.stringify({
          verdict: inspection.verdict,
          normScore: inspection.normScore,
          at: inspection.at,
        }),
        newValue: JSON.stringify({ path: saved.path, original: saved.original, from: req.from }),
        reason: req.reason,
      });
      return { inspectionId: inspection.id, ...saved };
    },
  };
}

function lineSummary(state: StationState): string {
  return JSON.stringify({
    status: state.status,
    source: state.source?.label ?? null,
    model: state.model ? `${state.model.id}` : null,
    product: state.product?.id ?? null,
    run: state.run?.id ?? null,
  });
}
