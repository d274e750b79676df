// Named local accounts. Kept as one internal settings value (a station has tens of people, not
// thousands), so no schema migration is needed and the write is one SQLite transaction.
// Password hashes never reach the audit trail: account changes are audited by name and field.
import { DomainError } from '../util/errors';
import { ROLES, type Role, type UserDto } from '@shared/users';
import type { AuditTrail } from '../storage/audit-trail';
import type { SettingsStore } from '../storage/settings-store';
import { hashPassword, oneTimePassword, verifyPassword } from './passwords';

const USERS_KEY = 'users.accounts';
export const FIRST_ADMIN = 'admin';

interface StoredUser {
  name: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  passwordHash: string;
  mustChangePassword: boolean;
}

export class UserError extends DomainError {}

export class UserStore {
  constructor(
    private readonly settings: SettingsStore,
    private readonly audit: AuditTrail,
  ) {}

  private all(): Record<string, StoredUser> {
    return this.settings.getInternal<Record<string, StoredUser>>(USERS_KEY) ?? {};
  }

  private save(users: Record<string, StoredUser>): void {
    this.settings.setInternal(USERS_KEY, users);
  }

  /**
   * First start: creates the administrator with a one-time password and returns it (the caller
   * shows it once). Null when accounts already exist.
   */
  ensureFirstAdmin(): string | null {
    const existing = this.all();
    const pending = this.isFirstRun();
    if (Object.keys(existing).length > 0 && !pending) return null;
    // A one-time password exists only in memory; after a restart before anyone used it, the
    // old one is unknown, so a new one replaces it.
    const password = oneTimePassword();
    this.save({
      [FIRST_ADMIN]: {
        name: FIRST_ADMIN,
        displayName: 'Administrator',
        role: 'admin',
        disabled: false,
        createdAt: existing[FIRST_ADMIN]?.createdAt ?? new Date().toISOString(),
        passwordHash: hashPassword(password),
        mustChangePassword: true,
      },
    });
    this.audit.append({
      actor: 'system',
      action: pending ? 'users.update' : 'users.create',
      entity: `user:${FIRST_ADMIN}`,
      newValue: JSON.stringify({ role: 'admin', password: 'one-time' }),
      reason: pending
        ? 'restart before the first sign-in: a new one-time password replaces the unused one'
        : 'first start: administrator account created with a one-time password',
    });
    return password;
  }

  /** Only the generated administrator exists and still has its one-time password. */
  isFirstRun(): boolean {
    const users = Object.values(this.all());
    return users.length === 1 && users[0].name === FIRST_ADMIN && users[0].mustChangePassword;
  }

  list(): UserDto[] {
    return Object.values(this.all())
      .map(toDto)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): UserDto | null {
    const u = this.all()[name];
    return u ? toDto(u) : null;
  }

  /** The account when the password matches and the account is enabled; null otherwise. */
  check(name: string, password: string): UserDto | null {
    const u = this.all()[name];
    if (!u || u.disabled) return null;
    return verifyPassword(password, u.passwordHash) ? toDto(u) : null;
  }

  create(
    input: { name: string; displayName: string; role: Role; password: string },
    actor: string,
    reason: string,
  ): UserDto {
    const users = this.all();
    if (users[input.name])
      throw new UserError('conflict', `An account named "${input.name}" already exists.`);
    if (!ROLES.includes(input.role)) throw new UserError('invalid', `Unknown role ${input.role}.`);
    const user: StoredUser = {
      name: input.name,
      displayName: input.displayName,
      role: input.role,
      disabled: false,
      createdAt: new Date().toISOString(),
      passwordHash: hashPassword(input.password),
      // Whoever set it knows it; the person chooses their own at first sign-in.
      mustChangePassword: true,
    };
    this.save({ ...users, [input.name]: user });
    this.audit.append({
      actor,
      action: 'users.create',
      entity: `user:${input.name}`,
      newValue: JSON.stringify({ displayName: input.displayName, role: input.role }),
      reason,
    });
    return toDto(user);
  }

  update(
    name: string,
    patch: { displayName?: string; role?: Role; disabled?: boolean; password?: string },
    actor: string,
    reason: string,
  ): UserDto {
    const users = this.all();
    const u = users[name];
    if (!u) throw new UserError('not_found', `No account named "${name}".`);
    const next: StoredUser = { ...u };
    if (patch.displayName !== undefined) next.displayName = patch.displayName;
    if (patch.role !== undefined) next.role = patch.role;
    if (patch.disabled !== undefined) next.disabled = patch.disabled;
    if (patch.password !== undefined) {
      next.passwordHash = hashPassword(patch.password);
      next.mustChangePassword = true;
    }
    const admins = Object.values({ ...users, [name]: next }).filter((x) => x.role === 'admin' && !x.disabled);
    if (admins.length === 0) {
      throw new UserError('conflict', 'The station needs at least one enabled administrator.');
    }
    this.save({ ...users, [name]: next });
    const { password: _password, ...shown } = patch;
    this.audit.append({
      actor,
      action: 'users.update',
      entity: `user:${name}`,
      oldValue: JSON.stringify({ displayName: u.displayName, role: u.role, disabled: u.disabled }),
      newValue: JSON.stringify({ ...shown, ...(patch.password !== undefined ? { password: 'reset' } : {}) }),
      reason,
    });
    return toDto(next);
  }

  changeOwnPassword(name: string, oldPassword: string, newPassword: string): UserDto {
    const users = this.all();
    const u = users[name];
    if (!u || !verifyPassword(oldPassword, u.passwordHash)) {
      throw new UserError('invalid', 'The current password is not correct.');
    }
    const next = { ...u, passwordHash: hashPassword(newPassword), mustChangePassword: false };
    this.save({ ...users, [name]: next });
    this.audit.append({
      actor: name,
      action: 'users.password',
      entity: `user:${name}`,
      reason: 'password changed by its owner',
    });
    return toDto(next);
  }
}

function toDto(u: StoredUser): UserDto {
  return {
    name: u.name,
    displayName: u.displayName,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt,
    mustChangePassword: u.mustChangePassword,
  };
}
