// Who may make which call: every request from either transport passes here before validation.
// The person fields of a request (actor, reviewer) are set from the session, so the audit trail
// names whoever is signed in, never a name the client typed.
import { DomainError } from '../util/errors';
import { roleAtLeast, ROLE_LABEL, type AuthStatus, type UserDto } from '@shared/users';
import type { AuditTrail } from '../storage/audit-trail';
import { PERSON_FIELD, PUBLIC_METHODS, roleNeeded, SIGNED_METHODS } from './permissions';
import type { SessionStore } from './sessions';
import type { UserStore } from './user-store';

export interface Caller {
  /** Session token the transport holds for this connection (cookie, or the desktop window's). */
  session: string | null;
  /** The station's own desktop window (IPC), as opposed to a browser over the network. */
  local: boolean;
}

/** A refusal is a domain error ('forbidden'); the transport that asked turns it into its own answer. */
export type Admission =
  { ok: true; request: Record<string, unknown>; user: UserDto | null } | { ok: false; error: AccessError };

export interface AuthOutcome {
  result: unknown;
  /** New session token for the transport to keep (sign-in), null to drop it (sign-out). */
  session?: string | null;
}

/** Request field that carries the re-entered password of a signed change; never stored. */
export const SIGNATURE_FIELD = 'signature';

const MAX_FAILURES = 5;
const LOCK_MS = 60_000;

export class AccessControl {
  private oneTimePassword: string | null;
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly audit: AuditTrail,
    firstAdminPassword: string | null,
    private readonly now: () => number = Date.now,
  ) {
    this.oneTimePassword = firstAdminPassword;
  }

  admit(method: string, raw: unknown, caller: Caller): Admission {
    const request: Record<string, unknown> =
      raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};
    if (PUBLIC_METHODS.has(method)) return { ok: true, request, user: this.current(caller) };
    const user = this.current(caller);
    if (!user) return deny('Sign in first: every action at this station is recorded with the person.');
    if (user.mustChangePassword && method !== 'auth.changePassword') {
      return deny('Choose your own password first (the one you signed in with was set by someone else).');
    }
    const needed = roleNeeded(method, request);
    if (!roleAtLeast(user.role, needed)) {
      return deny(
        `${user.displayName} is signed in as ${ROLE_LABEL[user.role]}; this needs ${ROLE_LABEL[needed]} or higher.`,
      );
    }
    const signature = request[SIGNATURE_FIELD];
    delete request[SIGNATURE_FIELD];
    if (SIGNED_METHODS.has(method)) {
      if (typeof signature !== 'string' || signature.length === 0) {
        return deny('This change is signed: enter your password again to confirm it.');
      }
      if (this.locked(user.name) || !this.users.check(user.name, signature)) {
        this.failed(user.name, 'signature');
        return deny('Signature refused: the password is not correct.');
      }
    }
    const field = PERSON_FIELD[method as keyof typeof PERSON_FIELD];
    if (field) request[field] = user.name;
    return { ok: true, request, user };
  }

  /** auth.* calls; the transport applies `session`. */
  auth(method: string, request: Record<string, unknown>, caller: Caller): AuthOutcome {
    switch (method) {
      case 'auth.status':
        return { result: this.status(this.current(caller), caller) };
      case 'auth.signIn': {
        const name = String(request.name);
        if (this.locked(name)) {
          throw new AccessError('Too many wrong passwords: wait a minute and try again.');
        }
        const user = this.users.check(name, String(request.password));
        if (!user) {
          this.failed(name, 'sign-in');
          throw new AccessError('Name or password not correct.');
        }
        this.failures.delete(name);
        if (caller.session) this.sessions.close(caller.session);
        const session = this.sessions.open(user.name);
        this.audit.append({
          actor: user.name,
          action: 'auth.sign_in',
          entity: `user:${user.name}`,
          reason: caller.local ? 'signed in at the station' : 'signed in from a browser',
        });
        return { result: this.status(user, caller), session };
      }
      case 'auth.signOut': {
        const user = this.current(caller);
        this.sessions.close(caller.session);
        if (user) {
          this.audit.append({
            actor: user.name,
            action: 'auth.sign_out',
            entity: `user:${user.name}`,
            reason: 'signed out',
          });
        }
        return { result: this.status(null, caller), session: null };
      }
      case 'auth.changePassword': {
        const user = this.current(caller);
        if (!user) throw new AccessError('Sign in first.');
        const next = this.users.changeOwnPassword(
          user.name,
          String(request.oldPassword),
          String(request.newPassword),
        );
        if (user.name === 'admin') this.oneTimePassword = null;
        return { result: next };
      }
      default:
        throw new Error(`${method} is not an auth method`);
    }
  }

  /** When a run of wrong passwords has locked the account, until when; null when it is not locked. */
  lockedUntil(name: string): string | null {
    const f = this.failures.get(name);
    return f && f.count >= MAX_FAILURES && f.until > this.now() ? new Date(f.until).toISOString() : null;
  }

  /** An administrator lifts a wrong-password lockout before it runs out (audited). */
  unlock(name: string, actor: string, reason: string): UserDto {
    const user = this.users.get(name);
    if (!user) throw new DomainError('not_found', `No account named "${name}".`);
    const was = this.lockedUntil(name);
    if (!was) throw new DomainError('conflict', `${user.displayName} is not locked out.`);
    this.failures.delete(name);
    this.audit.append({
      actor,
      action: 'users.unlock',
      entity: `user:${name}`,
      oldValue: JSON.stringify({ lockedUntil: was }),
      newValue: JSON.stringify({ lockedUntil: null }),
      reason,
    });
    return { ...user, lockedUntil: null };
  }

  private current(caller: Caller): UserDto | null {
    const name = this.sessions.resolve(caller.session);
    const user = name ? this.users.get(name) : null;
    return user && !user.disabled ? user : null;
  }

  private status(user: UserDto | null, caller: Caller): AuthStatus {
    const firstRun = this.users.isFirstRun();
    return {
      user,
      firstRun,
      oneTimePassword: firstRun && caller.local ? this.oneTimePassword : null,
      signed: [...SIGNED_METHODS],
    };
  }

  private locked(name: string): boolean {
    const f = this.failures.get(name);
    return f !== undefined && f.count >= MAX_FAILURES && f.until > this.now();
  }

  private failed(name: string, what: 'sign-in' | 'signature'): void {
    const f = this.failures.get(name);
    const count = f && f.until > this.now() ? f.count + 1 : 1;
    this.failures.set(name, { count, until: this.now() + LOCK_MS });
    if (this.users.get(name)) {
      this.audit.append({
        actor: name,
        action: what === 'sign-in' ? 'auth.sign_in_failed' : 'auth.signature_failed',
        entity: `user:${name}`,
        reason: `wrong password (${count} in a row)`,
      });
    }
  }
}

export class AccessError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'AccessError';
  }
}

function deny(message: string): Admission {
  return { ok: false, error: new AccessError(message) };
}
