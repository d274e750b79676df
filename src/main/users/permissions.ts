// Which role each API method needs, and which ones are electronic signatures (the password is
// entered again at the moment of the change, so the record shows who approved it, not just
// whose session happened to be open).
import type { ApiMethod } from '@shared/api';
import type { Role } from '@shared/users';

/** Callable without signing in: finding out who you are and signing in. */
export const PUBLIC_METHODS: ReadonlySet<string> = new Set<ApiMethod>([
  'auth.status',
  'auth.signIn',
  'auth.signOut',
]);

// Total over the API: a new method does not compile until someone decides who may call it.
const NEEDS: Record<Exclude<ApiMethod, 'auth.status' | 'auth.signIn' | 'auth.signOut'>, Role> = {
  'auth.changePassword': 'operator',
  'system.info': 'operator',
  'settings.get': 'operator',
  'station.state': 'operator',
  'station.stats': 'operator',
  'station.lastResult': 'operator',
  'station.start': 'operator',
  'station.stop': 'operator',
  'station.saveFrameAsGood': 'operator',
  'devices.list': 'operator',
  'devices.config': 'operator',
  'sources.options': 'operator',
  'inspections.list': 'operator',
  'inspections.get': 'operator',
  'inspections.models': 'operator',
  'inspections.histogram': 'operator',
  'inspections.whatIf': 'operator',
  'inspections.yieldOverTime': 'operator',
  'inspections.exportCsv': 'operator',
  'images.get': 'operator',
  'models.list': 'operator',
  'models.get': 'operator',
  'training.status': 'operator',
  'training.methods': 'operator',
  'reviews.list': 'operator',
  'candidates.list': 'operator',
  'fleet.overview': 'operator',
  'fleet.inspections': 'operator',
  'fleet.inspection': 'operator',
  'fleet.yield': 'operator',
  'fleet.exportCsv': 'operator',
  'fleet.status': 'operator',
  'products.list': 'operator',
  'products.get': 'operator',
  'products.check': 'operator',
  // A product's recipe (model, thresholds, outputs) was approved by an engineer; changing over to
  // it is the line's daily work, signed by whoever does it.
  'products.activate': 'operator',

  'reviews.record': 'qa',
  'candidates.export': 'qa',
  'audit.list': 'qa',
  'audit.verify': 'qa',
  'audit.exportCheckpoint': 'qa',
  'fleet.decide': 'qa',
  'fleet.verify': 'qa',

  'sources.test': 'engineer',
  'station.setThresholds': 'engineer',
  'devices.configure': 'engineer',
  'devices.test': 'engineer',
  'training.scan': 'engineer',
  'training.start': 'engineer',
  'training.cancel': 'engineer',
  'training.pause': 'engineer',
  'training.resume': 'engineer',
  'training.calibrate': 'engineer',
  'training.save': 'engineer',
  'training.discard': 'engineer',
  'models.deploy': 'engineer',
  'models.rollback': 'engineer',
  'models.import': 'engineer',
  'models.compare': 'engineer',
  'fleet.test': 'engineer',
  'products.create': 'engineer',
  'products.update': 'engineer',
  'products.deploy': 'engineer',

  'settings.update': 'admin',
  'users.list': 'admin',
  'users.create': 'admin',
  'users.update': 'admin',
  'fleet.configure': 'admin',
  'users.unlock': 'admin',
};

/**
 * The role a call needs. A method missing from the table needs an administrator: a new
 * method is closed until someone decides who may use it.
 */
export function roleNeeded(method: string, request: Record<string, unknown>): Role {
  // Restarting the line is the operator's job; pointing it at another source is not.
  if (method === 'station.start' && request.source !== undefined) return 'engineer';
  return (NEEDS as Partial<Record<string, Role>>)[method] ?? 'admin';
}

export const SIGNED_METHODS: ReadonlySet<string> = new Set<ApiMethod>([
  'models.deploy',
  'models.rollback',
  'station.setThresholds',
  'training.save',
  'products.deploy',
  'products.update',
  'products.activate',
]);

/** Request field that names the person, set by the station from the session (never trusted from the client). */
export const PERSON_FIELD: Partial<Record<ApiMethod, 'actor' | 'reviewer'>> = {
  'settings.update': 'actor',
  'station.start': 'actor',
  'station.stop': 'actor',
  'station.setThresholds': 'actor',
  'station.saveFrameAsGood': 'actor',
  'devices.configure': 'actor',
  'reviews.record': 'reviewer',
  'candidates.export': 'actor',
  'training.start': 'actor',
  'training.cancel': 'actor',
  'training.pause': 'actor',
  'training.resume': 'actor',
  'training.save': 'actor',
  'training.discard': 'actor',
  'models.deploy': 'actor',
  'models.rollback': 'actor',
  'models.import': 'actor',
  'users.create': 'actor',
  'users.update': 'actor',
  'fleet.decide': 'reviewer',
  'fleet.configure': 'actor',
  'products.create': 'actor',
  'products.update': 'actor',
  'products.deploy': 'actor',
  'products.activate': 'actor',
  'users.unlock': 'actor',
};
