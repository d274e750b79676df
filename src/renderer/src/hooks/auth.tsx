// Who is signed in, and the gate in front of every screen: sign-in, first password change, and
// the password prompt that turns deploy, rollback and threshold calls into signed changes.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
} from 'react';
import type { ApiMethod, ApiRequest, AuthStatus, StationClient } from '@shared/api';
import { ApiError } from '@shared/errors';
import { ROLE_LABEL } from '@shared/users';
import { Icon } from '../components/Icon';
import { describeError } from '../transport';
import { StationProvider, useStation } from './station';

interface AuthContextValue {
  status: AuthStatus;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth must be used inside <AuthGate>.');
  return v;
}

const SIGN_WHAT: Partial<Record<ApiMethod, string>> = {
  'models.deploy': 'Deploy this model version to the line',
  'models.rollback': 'Roll the line back to the previous model',
  'station.setThresholds': 'Change the live thresholds',
  'training.save': 'Save this model version with its thresholds',
  'products.deploy': 'Deploy this model version for the product',
  'products.update': "Change the product's recipe",
  'products.activate': 'Switch the line to this product',
};

interface PendingSignature {
  method: ApiMethod;
  resolve(password: string): void;
  reject(err: unknown): void;
}

export function AuthGate({ children }: { children: ReactNode }) {
  const station = useStation();
  const [status, setStatus] = useState<AuthStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState<PendingSignature | null>(null);
  // The password just typed at sign-in, so the first-password step does not ask for it again.
  const [justUsed, setJustUsed] = useState('');
  const statusRef = useRef<AuthStatus | null>(null);
  useEffect(() => {
    statusRef.current = status;
  }, [status]);
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    let live = true;
    station.client.call('auth.status', {}).then(
      (s) => {
        if (!live) return;
        setStatus(s);
        setError(null);
      },
      (err: unknown) => {
        if (live) setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [station.client, asked]);
  const refresh = useCallback(async () => setAsked((n) => n + 1), []);

  // Signed methods ask for the password right where the change is made, on every screen.
  const signing = useMemo<StationClient>(
    () => ({
      on: station.client.on.bind(station.client),
      async call(method, request) {
        const signed = statusRef.current?.signed.includes(method) ?? false;
        if (!signed || (request as { signature?: string }).signature)
          return station.client.call(method, request);
        const password = await new Promise<string>((resolve, reject) =>
          setPending({ method, resolve, reject }),
        );
        return station.client.call(method, { ...request, signature: password } as ApiRequest<typeof method>);
      },
    }),
    [station.client],
  );

  const signOut = useCallback(async () => {
    await station.client.call('auth.signOut', {});
    await refresh();
  }, [station.client, refresh]);

  if (!status) {
    return (
      <div className="access" data-testid="auth-loading">
        <div className="access-card">
          {error ? <p role="alert">{describeError(error)}</p> : <p>Connecting…</p>}
        </div>
      </div>
    );
  }
  if (!status.user) {
    return (
      <SignIn
        status={status}
        onDone={async (password) => {
          setJustUsed(password);
          await refresh();
        }}
      />
    );
  }
  if (status.user.mustChangePassword) {
    return (
      <ChoosePassword
        status={status}
        current={justUsed}
        onDone={async () => {
          setJustUsed('');
          await refresh();
        }}
      />
    );
  }
  return (
    <AuthContext.Provider value={{ status, signOut }}>
      <StationProvider station={{ ...station, client: signing }}>{children}</StationProvider>
      {pending ? (
        <SignatureDialog pending={pending} name={status.user.displayName} onClose={() => setPending(null)} />
      ) : null}
    </AuthContext.Provider>
  );
}

function SignIn({ status, onDone }: { status: AuthStatus; onDone: (password: string) => Promise<void> }) {
  const { client } = useStation();
  const [name, setName] = useState(status.firstRun ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.call('auth.signIn', { name: name.trim().toLowerCase(), password });
      await onDone(password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <div className="access" data-testid="sign-in">
      <form className="access-card form" onSubmit={submit} aria-label="Sign in">
        <Icon name="user" className="access-icon" />
        <h1>Sign in</h1>
        <p className="access-lead">Every action at this station is recorded with the person who did it.</p>
        {status.firstRun ? (
          <div className="notice notice-info" data-testid="first-run">
            <div>
              <strong>First start: the administrator account “admin” was created.</strong>{' '}
              {status.oneTimePassword ? (
                <>
                  Its one-time password is{' '}
                  <code data-testid="one-time-password">{status.oneTimePassword}</code>.
                </>
              ) : (
                <>Its one-time password was printed on the station’s console.</>
              )}{' '}
              You choose a new one right after signing in.
            </div>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="signin-name">Name</label>
          <input
            id="signin-name"
            autoComplete="username"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="signin-name"
          />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password or PIN</label>
          <input
            id="signin-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="signin-password"
          />
        </div>
        {error ? (
          <p className="field-error" role="alert" data-testid="signin-error">
            {describeError(error)}
          </p>
        ) : null}
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || !name || !password}
            data-testid="signin-submit"
          >
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}

function ChoosePassword({
  status,
  current,
  onDone,
}: {
  status: AuthStatus;
  current: string;
  onDone: () => Promise<void>;
}) {
  const { client } = useStation();
  const [oldPassword, setOld] = useState(current || (status.oneTimePassword ?? ''));
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== repeat) {
      setError(new ApiError('bad_request', 'The two new passwords differ.'));
      return;
    }
    try {
      await client.call('auth.changePassword', { oldPassword, newPassword: next });
      await onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div className="access" data-testid="choose-password">
      <form className="access-card form" onSubmit={submit} aria-label="Choose your password">
        <Icon name="lock" className="access-icon" />
        <h1>Choose your password</h1>
        <p className="access-lead">
          {status.user?.displayName}, the password you signed in with was set by someone else. Choose your
          own: a PIN of at least 4 digits or a password of at least 8 characters.
        </p>
        <div className="field">
          <label htmlFor="pw-old">Current password</label>
          <input id="pw-old" type="password" value={oldPassword} onChange={(e) => setOld(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pw-new">New password or PIN</label>
          <input
            id="pw-new"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            data-testid="pw-new"
          />
        </div>
        <div className="field">
          <label htmlFor="pw-repeat">Repeat it</label>
          <input
            id="pw-repeat"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            data-testid="pw-repeat"
          />
        </div>
        {error ? (
          <p className="field-error" role="alert">
            {describeError(error)}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="pw-submit">
            Save and continue
          </button>
        </div>
      </form>
    </div>
  );
}

function SignatureDialog({
  pending,
  name,
  onClose,
}: {
  pending: PendingSignature;
  name: string;
  onClose: () => void;
}) {
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    pending.resolve(password);
    onClose();
  };
  const cancel = () => {
    pending.reject(new ApiError('bad_request', 'Not signed: the change was not made.'));
    onClose();
  };
  return (
    <div className="modal-backdrop" role="presentation">
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label="Sign this change"
        onSubmit={submit}
        data-testid="signature-dialog"
      >
        <h2>Sign this change</h2>
        <p>
          <strong>{SIGN_WHAT[pending.method] ?? pending.method}</strong>. {name}, enter your password again:
          it is your electronic signature and is recorded with the change.
        </p>
        <div className="field">
          <label htmlFor="sig-password">Password or PIN</label>
          <input
            id="sig-password"
            type="password"
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="signature-password"
          />
        </div>
        <div className="form-actions">
          <button type="button" className="btn" onClick={cancel}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={!password}
            data-testid="signature-submit"
          >
            Sign
          </button>
        </div>
      </form>
    </div>
  );
}

export function UserBadge() {
  const { status, signOut } = useAuth();
  const user = status.user!;
  return (
    <div
      className="operator"
      data-testid="operator"
      title="Signed in: every action is recorded with this name"
    >
      <Icon name="user" />
      <span className="operator-label">{ROLE_LABEL[user.role]}</span>
      <span className="operator-name" data-testid="operator-name">
        {user.displayName}
      </span>
      <button type="button" className="btn btn-small" onClick={() => void signOut()} data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
