// Model versions: list, deploy, roll back, import, compare.
import { join } from 'node:path';
import { ApiError, type ApiParsedRequest } from '@shared/api';
import { compareModels } from '../../model-store/compare';
import { importModelPackage } from '../../model-store/import';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function modelHandlers(
  s: StationContext,
): Pick<
  ApiHandlers,
  'models.list' | 'models.get' | 'models.deploy' | 'models.rollback' | 'models.import' | 'models.compare'
> {
  const { paths, live, events, models, deployForLine } = s;
  return {
    'models.list': () => {
      const prev = models.previousDeployed();
      return {
        versions: models.list(),
        activeId: models.active()?.id ?? null,
        liveModelId: live.state().model?.id ?? null,
        rollbackTo: prev ? { id: prev.id, version: prev.version } : null,
      };
    },
    'models.get': (req: ApiParsedRequest<'models.get'>) => {
      const v = models.get(req.id);
      if (!v) throw new ApiError('not_found', `Model version ${req.id} does not exist.`);
      return v;
    },
    'models.deploy': (req: ApiParsedRequest<'models.deploy'>) => {
      if (models.active()?.id === req.id && live.state().model?.id === req.id) {
        throw new ApiError('conflict', `${req.id} is already the active version.`);
      }
      return deployForLine(
        req.id,
        { actor: req.actor, reason: req.reason },
        { acknowledge: req.acknowledgeMismatch },
      );
    },
    'models.rollback': (req: ApiParsedRequest<'models.rollback'>) => {
      const prev = models.previousDeployed();
      if (!prev) throw new ApiError('conflict', 'There is no earlier deployed version to roll back to.');
      return deployForLine(prev.id, { actor: req.actor, reason: req.reason }, { change: 'rolled_back' });
    },
    'models.import': async (req: ApiParsedRequest<'models.import'>) => {
      const v = await importModelPackage(models, join(paths.root, 'training'), req);
      events.emit('models.changed', { activeId: models.active()?.id ?? null, change: 'imported', id: v.id });
      return v;
    },
    'models.compare': async (req: ApiParsedRequest<'models.compare'>) => {
      const a = models.get(req.a);
      const b = models.get(req.b);
      if (!a) throw new ApiError('not_found', `Model version ${req.a} does not exist.`);
      if (!b) throw new ApiError('not_found', `Model version ${req.b} does not exist.`);
      return compareModels(a, b, req.folder, req.limit);
    },
  };
}
