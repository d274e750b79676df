// The retraining wizard's backend: scan, train, calibrate, save.
import { ApiError, type ApiParsedRequest } from '@shared/api';
import { FolderError, scanTrainingFolders } from '../../wizard/scan';
import { findMethod } from '../../wizard/methods';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function trainingHandlers(
  s: StationContext,
): Pick<
  ApiHandlers,
  | 'training.methods'
  | 'training.scan'
  | 'training.start'
  | 'training.status'
  | 'training.cancel'
  | 'training.pause'
  | 'training.resume'
  | 'training.calibrate'
  | 'training.save'
  | 'training.discard'
> {
  const { audit, events, models, training } = s;
  return {
    'training.methods': () => training.costs.methods(),
    'training.scan': async (req: ApiParsedRequest<'training.scan'>) => {
      let scan;
      try {
        scan = await scanTrainingFolders(req.goodDir, req.defectDir ?? null);
      } catch (err) {
        if (err instanceof FolderError) throw new ApiError('bad_request', err.message);
        throw err;
      }
      const estimates = training.costs.methods().flatMap((m) =>
        m.available
          ? m.presets.flatMap((p) => {
              const e = training.estimate(
                m.id,
                p.id,
                scan.report.good.usable,
                scan.report.defects?.usable ?? 0,
              );
              return e ? [e] : [];
            })
          : [],
      );
      return { ...scan.report, estimates };
    },
    'training.start': async (req: ApiParsedRequest<'training.start'>) => {
      if (!findMethod(req.method))
        throw new ApiError('bad_request', `Unknown training method "${req.method}".`);
      const job = await training.start(req);
      audit.append({
        actor: req.actor,
        action: 'training.start',
        entity: `training:${job.id}`,
        newValue: JSON.stringify({
          method: job.method,
          preset: job.preset,
          goodDir: job.goodDir,
          defectDir: job.defectDir,
          fitImages: job.fitImages,
          heldOutImages: job.heldOutImages,
        }),
        reason: 'training started from the wizard',
      });
      return job;
    },
    'training.status': () => training.current(),
    'training.cancel': async (req: ApiParsedRequest<'training.cancel'>) => {
      const before = training.current();
      const job = await training.cancel(req.jobId);
      if (before && before.state !== job.state) {
        audit.append({
          actor: req.actor,
          action: 'training.cancel',
          entity: `training:${job.id}`,
          oldValue: before.state,
          newValue: job.state,
          reason: 'cancelled by the operator',
        });
      }
      return job;
    },
    'training.pause': async (req: ApiParsedRequest<'training.pause'>) => {
      const reason = req.reason ?? 'paused from the wizard';
      const job = await training.pause(req.jobId, req.actor, reason);
      if (job.state !== 'paused') {
        // The fit finished before it reached a step boundary: nothing was paused.
        throw new ApiError('conflict', `The training finished before it could pause; the job is ${job.state}.`);
      }
      audit.append({
        actor: req.actor,
        action: 'training.pause',
        entity: `training:${job.id}`,
        oldValue: 'fitting',
        newValue: JSON.stringify({ state: job.state, step: job.paused?.step, totalSteps: job.paused?.totalSteps }),
        reason,
      });
      return job;
    },
    'training.resume': async (req: ApiParsedRequest<'training.resume'>) => {
      const reason = req.reason ?? 'resumed from the wizard';
      const before = training.current();
      const job = await training.resume(req.jobId);
      audit.append({
        actor: req.actor,
        action: 'training.resume',
        entity: `training:${job.id}`,
        oldValue: JSON.stringify({ state: 'paused', step: before?.paused?.step ?? null }),
        newValue: job.state,
        reason,
      });
      return job;
    },
    'training.calibrate': (req: ApiParsedRequest<'training.calibrate'>) =>
      training.calibration(req.jobId, {
        targetFalseRejectRate: req.targetFalseRejectRate,
        reviewBudget: req.reviewBudget,
        t1: req.t1,
        t2: req.t2,
      }),
    'training.save': async (req: ApiParsedRequest<'training.save'>) => {
      const saved = await training.save(req);
      events.emit('models.changed', {
        activeId: models.active()?.id ?? null,
        change: 'created',
        id: saved.id,
      });
      return saved;
    },
    'training.discard': (req: ApiParsedRequest<'training.discard'>) => training.discard(req.jobId),
  };
}
