import { useEffect, useState, type ReactNode } from 'react';
import { Icon, type IconName } from './components/Icon';
import { formatTime } from './components/format';
import { Pill } from './components/StatusBadge';
import { AuthGate, UserBadge, useAuth } from './hooks/auth';
import { SettingsProvider, useSettings } from './hooks/settings';
import { hrefFor, useRoute, type Route } from './hooks/route';
import { useConnection } from './hooks/station';
import { useApi } from './hooks/useApi';
import { AuditPage } from './pages/AuditPage';
import { HistoryPage } from './pages/HistoryPage';
import { LivePage } from './pages/LivePage';
import { ModelsPage } from './pages/ModelsPage';
import { TrainPage } from './pages/TrainPage';
import { ReviewPage } from './pages/ReviewPage';
import { SettingsPage } from './pages/SettingsPage';
import { SourcePage } from './pages/SourcePage';
import { UsersPage } from './pages/UsersPage';
import { roleAtLeast, type Role } from '@shared/users';
import type { ConnectionState } from './transport';

interface NavItem {
  route: Route;
  label: string;
  icon: IconName;
  /** Screens delivered by later issues carry a marker so nobody hunts for missing features. */
  built: boolean;
  /** Shown only to this role and above (the station refuses the calls to anyone else too). */
  minRole?: Role;
}

const NAV: NavItem[] = [
  { route: 'live', label: 'Live', icon: 'live', built: true },
  { route: 'source', label: 'Source', icon: 'camera', built: true },
  { route: 'review', label: 'Review', icon: 'review', built: true },
  { route: 'train', label: 'Train', icon: 'train', built: true },
  { route: 'models', label: 'Models', icon: 'models', built: true },
  { route: 'history', label: 'History', icon: 'history', built: true },
  { route: 'audit', label: 'Audit', icon: 'audit', built: true },
  { route: 'users', label: 'Users', icon: 'user', built: true, minRole: 'admin' },
  { route: 'settings', label: 'Settings', icon: 'settings', built: true },
];

const PAGES: Record<Route, () => ReactNode> = {
  live: LivePage,
  source: SourcePage,
  review: ReviewPage,
  train: TrainPage,
  models: ModelsPage,
  history: HistoryPage,
  audit: AuditPage,
  users: UsersPage,
  settings: SettingsPage,
};

export function App() {
  const connection = useConnection();
  if (connection.kind === 'unauthorized') return <AccessRequired message={connection.message} />;
  return (
    <AuthGate>
      <SettingsProvider>
        <Shell connection={connection} />
      </SettingsProvider>
    </AuthGate>
  );
}

function Shell({ connection }: { connection: ConnectionState }) {
  const route = useRoute();
  const Current = PAGES[route];
  const info = useApi('system.info', {});
  const { settings } = useSettings();
  const { status } = useAuth();
  const role = status.user?.role ?? 'operator';
  const nav = NAV.filter((n) => !n.minRole || roleAtLeast(role, n.minRole));

  useEffect(() => {
    if (settings) dropTokenFromUrl();
  }, [settings]);

  useEffect(() => {
    const item = NAV.find((n) => n.route === route);
    document.title = `${item?.label ?? 'Station'} · Inspection Station`;
  }, [route]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="live" />
          </span>
          <div className="brand-text">
            <span className="brand-name">Inspection Station</span>
            <span className="brand-sub">
              {info.data
                ? `v${info.data.appVersion} · ${info.data.mode === 'headless' ? 'headless / browser' : 'desktop'}`
                : 'anomaly inspection'}
            </span>
          </div>
        </div>
        <div className="topbar-right">
          <ConnectionPill state={connection} />
          <UserBadge />
          <Clock />
        </div>
      </header>
      {connection.kind === 'reconnecting' ? <ReconnectBanner state={connection} /> : null}
      <nav className="sidenav" aria-label="Screens">
        <ul>
          {nav.map((item) => (
            <li key={item.route}>
              <a
                href={hrefFor(item.route)}
                className={route === item.route ? 'nav-link active' : 'nav-link'}
                aria-current={route === item.route ? 'page' : undefined}
                data-testid={`nav-${item.route}`}
              >
                <Icon name={item.icon} />
                <span className="nav-label">{item.label}</span>
                {!item.built ? <span className="nav-soon">not built</span> : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <Current />
      </main>
    </div>
  );
}

function ConnectionPill({ state }: { state: ConnectionState }) {
  switch (state.kind) {
    case 'local':
      return (
        <Pill tone="ok" testId="connection">
          Local
        </Pill>
      );
    case 'online':
      return (
        <Pill tone="ok" testId="connection">
          Connected
        </Pill>
      );
    case 'connecting':
      return (
        <Pill tone="info" testId="connection">
          Connecting…
        </Pill>
      );
    case 'reconnecting':
      return (
        <Pill tone="bad" testId="connection">
          Connection lost
        </Pill>
      );
    case 'unauthorized':
      return (
        <Pill tone="bad" testId="connection">
          No access
        </Pill>
      );
  }
}

function ReconnectBanner({ state }: { state: Extract<ConnectionState, { kind: 'reconnecting' }> }) {
  const now = useNow(500);
  const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
  return (
    <div className="conn-banner" role="alert" data-testid="connection-banner">
      <span className="spinner" aria-hidden="true" />
      <strong>Connection to the station lost — reconnecting</strong>
      <span>
        {seconds > 0 ? `next attempt in ${seconds} s` : 'trying now'} (attempt {state.attempt}). What you see
        may be out of date; changes cannot be saved until it is back.
      </span>
    </div>
  );
}

function Clock() {
  const now = useNow(1000);
  const text = formatTime(new Date(now).toISOString());
  return (
    <time className="clock mono" dateTime={new Date(now).toISOString()}>
      {text.slice(11)}
      <span className="clock-date">{text.slice(0, 10)}</span>
    </time>
  );
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function AccessRequired({ message }: { message: string }) {
  return (
    <div className="access" data-testid="access-required">
      <div className="access-card">
        <Icon name="lock" className="access-icon" />
        <h1>Access token required</h1>
        <p className="access-lead">
          Open the URL printed by the station with <code>?token=…</code> at the end. This browser will then be
          let in and remember it.
        </p>
        <ol className="access-steps">
          <li>
            On the station PC, look in the console where the station was started for the line{' '}
            <code>Open http://…/?token=…</code> (or ask whoever runs the station).
          </li>
          <li>Open exactly that URL in this browser, including the token.</li>
          <li>
            The token is printed only once, when it is made. If nobody has it any more, restart the station
            with <code>--new-token</code> to print a new one.
          </li>
        </ol>
        <p className="muted small">Server said: {message}</p>
      </div>
    </div>
  );
}

/** The token only needs to reach the server once (it answers with a cookie); keep it out of
 *  browser history, bookmarks and screen shares. */
function dropTokenFromUrl(): void {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', url.toString());
}
