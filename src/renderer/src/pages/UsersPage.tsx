// People and roles, for administrators: the accounts of this station, new accounts, role changes,
// password/PIN resets, disabling an account and lifting a wrong-password lockout. Every change
// names its reason (the station audits it with the signed-in administrator).
import { useState, type FormEvent } from 'react';
import { ROLE_LABEL, ROLES, type Role, type UserDto } from '@shared/users';
import { Card, Facts } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatTime } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill } from '../components/StatusBadge';
import { useAuth } from '../hooks/auth';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { describeError } from '../transport';

/** The same rule as the station's: a PIN of 4+ digits or a password of 8+ characters. */
export function passwordProblem(p: string): string | null {
  if (/^\d{4,}$/.test(p) || p.length >= 8) return null;
  return 'Use a PIN of at least 4 digits or a password of at least 8 characters.';
}

const NAME_RULE = /^[a-z0-9][a-z0-9._-]*$/;

const ROLE_CAN: Record<Role, string> = {
  operator: 'runs the line, looks at results, saves good frames',
  qa: 'also reviews parts and reads the audit trail',
  engineer: 'also trains, deploys and sets thresholds (signed)',
  admin: 'also manages accounts and settings',
};

export function UsersPage() {
  const { status } = useAuth();
  if (status.user?.role !== 'admin') {
    return (
      <Page id="users" title="Users" subtitle="Accounts and roles">
        <Notice tone="warn" title="Administrators only" testId="users-refused">
          {status.user?.displayName ?? 'You'} is signed in as {ROLE_LABEL[status.user?.role ?? 'operator']}.
          Ask an administrator to change accounts or roles.
        </Notice>
      </Page>
    );
  }
  return <UsersAdmin me={status.user.name} />;
}

function UsersAdmin({ me }: { me: string }) {
  const list = useApi('users.list', {});
  const [selected, setSelected] = useState<string | null>(null);
  useEvent('audit.appended', (e) => {
    if (e.action.startsWith('users.') || e.action.startsWith('auth.')) list.reload();
  });
  const users = list.data ?? [];
  const current = users.find((u) => u.name === selected) ?? null;

  const columns: Array<Column<UserDto>> = [
    { key: 'name', header: 'Sign-in name', className: 'col-user mono', render: (u) => u.name },
    {
      key: 'display',
      header: 'Name',
      render: (u) => (
        <span className="clip" title={u.displayName}>
          {u.displayName}
          {u.name === me ? <span className="muted small"> (you)</span> : null}
        </span>
      ),
    },
    { key: 'role', header: 'Role', className: 'col-role', render: (u) => ROLE_LABEL[u.role] },
    { key: 'state', header: 'Status', className: 'col-ustate', render: (u) => <AccountState user={u} /> },
    {
      key: 'created',
      header: 'Created',
      className: 'col-time mono',
      render: (u) => formatTime(u.createdAt).slice(0, 16),
    },
  ];

  return (
    <Page id="users" title="Users" subtitle="Accounts, roles and sign-in problems (administrators only)">
      {list.error ? <ErrorNotice error={list.error} what="the accounts" onRetry={list.reload} /> : null}
      <div className="users-grid">
        <Card title={`Accounts (${users.length})`} testId="users-card">
          <DataTable
            testId="users-table"
            fixed
            caption="Accounts"
            columns={columns}
            rows={users}
            rowKey={(u) => u.name}
            selectedKey={selected}
            onRowClick={(u) => setSelected(u.name)}
            empty={list.loading ? 'Loading…' : 'No accounts.'}
          />
          <p className="muted small table-foot">
            Click an account to change its role, reset its password or PIN, or disable it.
          </p>
        </Card>
        <div className="stack">
          {current ? (
            <EditAccount key={current.name} user={current} me={me} onDone={list.reload} />
          ) : (
            <Card title="Change an account">
              <p className="muted">Pick an account in the list.</p>
            </Card>
          )}
          <CreateAccount
            taken={users.map((u) => u.name)}
            onDone={(u) => {
              list.reload();
              setSelected(u.name);
            }}
          />
        </div>
      </div>
      <Card title="Roles">
        <ul className="role-list">
          {ROLES.map((r) => (
            <li key={r}>
              <strong>{ROLE_LABEL[r]}</strong>: {ROLE_CAN[r]}
            </li>
          ))}
        </ul>
      </Card>
    </Page>
  );
}

function AccountState({ user: u }: { user: UserDto }) {
  if (u.disabled) return <Pill tone="bad">disabled</Pill>;
  if (u.lockedUntil) return <Pill tone="warn">locked until {formatTime(u.lockedUntil).slice(11, 19)}</Pill>;
  if (u.mustChangePassword) return <Pill tone="info">new password due</Pill>;
  return <Pill tone="ok">active</Pill>;
}

type Outcome = { ok: boolean; text: string } | null;

function EditAccount({ user: u, me, onDone }: { user: UserDto; me: string; onDone: () => void }) {
  const { client } = useStation();
  const [displayName, setDisplayName] = useState(u.displayName);
  const [role, setRole] = useState<Role>(u.role);
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const why = reason.trim();

  const run = async (what: string, call: () => Promise<unknown>) => {
    if (!why) {
      setOutcome({ ok: false, text: 'Say why (it goes into the audit trail with your name).' });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      await call();
      setOutcome({ ok: true, text: `${u.name}: ${what}. Recorded in the audit trail.` });
      setPassword('');
      setReason('');
      onDone();
    } catch (err) {
      setOutcome({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  const base = { name: u.name, actor: me, reason: why };
  const changed = displayName.trim() !== u.displayName || role !== u.role;
  const pwProblem = password ? passwordProblem(password) : null;

  return (
    <Card title={`Account ${u.name}`} testId="user-edit" aside={<AccountState user={u} />}>
      <Facts
        items={[
          { label: 'Created', value: formatTime(u.createdAt), mono: true },
          {
            label: 'Password',
            value: u.mustChangePassword
              ? 'set by an administrator: to be changed at next sign-in'
              : 'chosen by the person',
          },
        ]}
      />
      <form className="form" onSubmit={(e) => e.preventDefault()} aria-label={`Change account ${u.name}`}>
        <div className="field">
          <label htmlFor="user-reason">Reason for the change (required, audited)</label>
          <input
            id="user-reason"
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. moved to QA; forgot PIN; left the company"
            data-testid="user-reason"
          />
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor="user-display">Name</label>
            <input
              id="user-display"
              value={displayName}
              maxLength={80}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </div>
          <RoleField id="user-role" testId="user-role" value={role} onChange={setRole} />
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || !changed || !displayName.trim()}
            onClick={() =>
              void run(
                role !== u.role ? `role is now ${ROLE_LABEL[role]} (signed out to apply it)` : 'name changed',
                () =>
                  client.call('users.update', {
                    ...base,
                    ...(displayName.trim() !== u.displayName ? { displayName: displayName.trim() } : {}),
                    ...(role !== u.role ? { role } : {}),
                  }),
              )
            }
            data-testid="user-save"
          >
            Save name and role
          </button>
        </div>
        <div className="field">
          <label htmlFor="user-password">
            New password or PIN (the person chooses their own at next sign-in)
          </label>
          <input
            id="user-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="user-password"
          />
          {pwProblem ? <p className="field-error">{pwProblem}</p> : null}
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="btn"
            disabled={busy || !password || pwProblem !== null}
            onClick={() =>
              void run('password reset (signed out; must choose a new one)', () =>
                client.call('users.update', { ...base, password }),
              )
            }
            data-testid="user-reset"
          >
            <Icon name="lock" /> Reset password / PIN
          </button>
          {u.lockedUntil ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              onClick={() => void run('lockout lifted', () => client.call('users.unlock', base))}
              data-testid="user-unlock"
            >
              Unlock (wrong-password lockout)
            </button>
          ) : null}
          {u.disabled ? (
            <button
              type="button"
              className="btn btn-go"
              disabled={busy}
              onClick={() =>
                void run('enabled again', () => client.call('users.update', { ...base, disabled: false }))
              }
              data-testid="user-enable"
            >
              Enable account
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-stop"
              disabled={busy}
              onClick={() =>
                void run('disabled (signed out everywhere)', () =>
                  client.call('users.update', { ...base, disabled: true }),
                )
              }
              data-testid="user-disable"
              title={u.name === me ? 'This is your own account: you will be signed out' : undefined}
            >
              Disable account
            </button>
          )}
        </div>
      </form>
      {outcome ? (
        <p className={outcome.ok ? 'ok-text' : 'field-error'} role="status" data-testid="user-outcome">
          {outcome.text}
        </p>
      ) : null}
    </Card>
  );
}

function CreateAccount({ taken, onDone }: { taken: string[]; onDone: (u: UserDto) => void }) {
  const { client } = useStation();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const n = name.trim();
  const nameProblem = !n
    ? null
    : !NAME_RULE.test(n)
      ? 'Lower-case letters, digits, ".", "_" and "-" only, starting with a letter or digit.'
      : taken.includes(n)
        ? `"${n}" already exists.`
        : null;
  const pwProblem = password ? passwordProblem(password) : null;
  const ready = n && !nameProblem && displayName.trim() && password && !pwProblem && reason.trim();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setOutcome(null);
    try {
      const u = await client.call('users.create', {
        name: n,
        displayName: displayName.trim(),
        role,
        password,
        actor: 'admin',
        reason: reason.trim(),
      });
      setOutcome({
        ok: true,
        text: `Created ${u.name} (${ROLE_LABEL[u.role]}). Give them the password or PIN; they choose their own at first sign-in.`,
      });
      setName('');
      setDisplayName('');
      setPassword('');
      setReason('');
      onDone(u);
    } catch (err) {
      setOutcome({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="New account" testId="user-create">
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="New account" noValidate>
        <div className="field-row">
          <div className={nameProblem ? 'field invalid' : 'field'}>
            <label htmlFor="new-name">Sign-in name</label>
            <input
              id="new-name"
              value={name}
              maxLength={40}
              autoComplete="off"
              onChange={(e) => setName(e.target.value.toLowerCase())}
              placeholder="e.g. j.doe"
              data-testid="new-user-name"
            />
          </div>
          <div className="field">
            <label htmlFor="new-display">Name</label>
            <input
              id="new-display"
              value={displayName}
              maxLength={80}
              onChange={(e) => setDisplayName(e.target.value)}
              placeholder="e.g. Jane Doe"
              data-testid="new-user-display"
            />
          </div>
        </div>
        {nameProblem ? <p className="field-error">{nameProblem}</p> : null}
        <div className="field-row">
          <RoleField id="new-role" testId="new-user-role" value={role} onChange={setRole} />
          <div className={pwProblem ? 'field invalid' : 'field'}>
            <label htmlFor="new-password">First password or PIN</label>
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              data-testid="new-user-password"
            />
          </div>
        </div>
        {pwProblem ? <p className="field-error">{pwProblem}</p> : null}
        <div className="field">
          <label htmlFor="new-reason">Reason (required, audited)</label>
          <input
            id="new-reason"
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. new starter on line 3"
            data-testid="new-user-reason"
          />
        </div>
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || !ready}
            data-testid="new-user-create"
          >
            <Icon name="user" /> Create account
          </button>
        </div>
      </form>
      {outcome ? (
        <p className={outcome.ok ? 'ok-text' : 'field-error'} role="status" data-testid="new-user-outcome">
          {outcome.text}
        </p>
      ) : null}
    </Card>
  );
}

function RoleField({
  id,
  testId,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  value: Role;
  onChange: (r: Role) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>Role</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as Role)} data-testid={testId}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABEL[r]}
          </option>
        ))}
      </select>
    </div>
  );
}
