// People and roles. Roles are ordered: each one may do everything the roles before it may.
export const ROLES = ['operator', 'qa', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABEL: Record<Role, string> = {
  operator: 'Operator',
  qa: 'QA',
  engineer: 'Engineer',
  admin: 'Administrator',
};

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface UserDto {
  name: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  /** The account still has the password it was created with (a one-time one for the first admin). */
  mustChangePassword: boolean;
  /** Set (users.list) while wrong passwords lock the account out; an administrator can lift it. */
  lockedUntil?: string | null;
}

export interface AuthStatus {
  user: UserDto | null;
  /** True while only the generated first admin exists and nobody has signed in yet. */
  firstRun: boolean;
  /**
   * The first administrator's one-time password: only to the station's own desktop window, only
   * until it is changed (the headless server prints it on its console instead).
   */
  oneTimePassword: string | null;
  /** Methods that need the signer's password again (an electronic signature). */
  signed: string[];
}
