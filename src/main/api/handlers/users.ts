// Account administration (administrators only; the access control checks the role first).
import type { ApiParsedRequest } from '@shared/api';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function userHandlers(
  s: Pick<StationContext, 'users' | 'sessions' | 'access'>,
): Pick<ApiHandlers, 'users.list' | 'users.create' | 'users.update' | 'users.unlock'> {
  const { users, sessions, access } = s;
  return {
    'users.list': () => users.list().map((u) => ({ ...u, lockedUntil: access.lockedUntil(u.name) })),
    'users.unlock': (req: ApiParsedRequest<'users.unlock'>) => access.unlock(req.name, req.actor, req.reason),
    'users.create': (req: ApiParsedRequest<'users.create'>) =>
      users.create(
        { name: req.name, displayName: req.displayName, role: req.role, password: req.password },
        req.actor,
        req.reason,
      ),
    'users.update': (req: ApiParsedRequest<'users.update'>) => {
      const { name, actor, reason, ...patch } = req;
      const next = users.update(name, patch, actor, reason);
      // A disabled account, a new role or a reset password takes effect now, not at next sign-in.
      if (patch.disabled || patch.password !== undefined || patch.role !== undefined)
        sessions.closeAllOf(name);
      return next;
    },
  };
}
