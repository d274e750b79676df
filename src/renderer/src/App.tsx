import { useEffect, useState, type ReactNode } from 'react';
import { Icon, type IconName } from './components/Icon';
import { formatTime } from './components/format';
import { Pill } from './components/StatusBadge';
import { AuthGate, UserBadge, useAuth } from './hooks/auth';
import { SettingsProvider, useSettings } from './hooks/settings';
import { hrefFor, useRoute, type Route } from './hooks/route';
import { useConnection } from './hooks/station';
import { useApi, type ApiState } from './hooks/useApi';
import { ErrorNotice, Loading } from './components/Notice';
import type { SystemInfo } from '@shared/api';
import { AuditPage } from './pages/AuditPage';
import { HistoryPage } from './pages/HistoryPage';
import { LivePage } from './pages/LivePage';
import { ModelsPage } from './pages/ModelsPage';
import { TrainPage } from './pages/TrainPage';
import { ReviewPage } from './pages/ReviewPage';
import { SettingsPage } from './pages/SettingsPage';
import { SourcePage } from './pages/SourcePage';
import { FleetAuditPage } from './pages/fleet/FleetAuditPage';
import { FleetLinesPage } from './pages/fleet/FleetLinesPage';
import { FleetReviewPage } from './pages/fleet/FleetReviewPage';
import { NotOnFleet } from './pages/fleet/NotOnFleet';
import { ProductsPage } from './pages/ProductsPage';
import { ProductBadge } from './components/ProductBadge';
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
  { route: 'products', label: 'Products', icon: 'product', built: true },
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
  products: ProductsPage,
  review: ReviewPage,
  train: TrainPage,
  models: ModelsPage,
  history: HistoryPage,
  audit: AuditPage,
  users: UsersPage,
  settings: SettingsPage,
};

/** The fleet server (central database) answers three screens; the others belong to a station. */
const FLEET_PAGES: Partial<Record<Route, () => ReactNode>> = {
  review: FleetReviewPage,
  history: FleetLinesPage,
  audit: FleetAuditPage,
};
const FLEET_LABEL: Partial<Record<Route, string>> = { history: 'Lines' };

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
  const info = useApi('system.info', {});
  const { settings } = useSettings();
  const fleet = info.data?.mode === 'fleet';
  const label = (item: NavItem) => (fleet ? (FLEET_LABEL[item.route] ?? item.label) : item.label);

  useEffect(() => {
    // The fleet server has no live view to land on; its first screen is the review queue.
    if (fleet && !window.location.hash) window.location.replace('#/review');
  }, [fleet]);
  const { status } = useAuth();
  const role = status.user?.role ?? 'operator';
  const nav = NAV.filter((n) => !n.minRole || roleAtLeast(role, n.minRole));

  useEffect(() => {
    if (settings) dropTokenFromUrl();
  }, [settings]);

  useEffect(() => {
    const item = NAV.find((n) => n.route === route);
    document.title = `${item ? label(item) : 'Station'} · ${fleet ? 'Fleet server' : 'Inspection Station'}`;
  });

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="live" />
          </span>
          <div className="brand-text">
            <span className="brand-name">{fleet ? 'Inspection Fleet' : 'Inspection Station'}</span>
            <span className="brand-sub" data-testid="brand-sub">
              {info.data
                ? `v${info.data.appVersion} · ${
                    info.data.mode === 'fleet'
                      ? 'fleet server (central database)'
                      : info.data.mode === 'headless'
                        ? 'headless / browser'
                        : 'desktop'
                  }`
                : 'anomaly inspection'}
            </span>
          </div>
        </div>
        <div className="topbar-right">
          {fleet ? null : <ProductBadge />}
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
                <span className="nav-label">{label(item)}</span>
                {!item.built ? <span className="nav-soon">not built</span> : null}
                {fleet && !FLEET_PAGES[item.route] ? <span className="nav-soon">station only</span> : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <CurrentPage route={route} info={info} />
      </main>
    </div>
  );
}

/** Waits for system.info: a station screen must not start calling the station API on the fleet server. */
function CurrentPage({ route, info }: { route: Route; info: ApiState<SystemInfo> }) {
  if (!info.data) {
    return info.error ? (
      <ErrorNotice error={info.error} what="what this server is" onRetry={info.reload} />
    ) : (
      <Loading what="the screen" />
    );
  }
  if (info.data.mode === 'fleet') {
    const Fleet = FLEET_PAGES[route];
    const item = NAV.find((n) => n.route === route);
    return Fleet ? <Fleet /> : <NotOnFleet route={route} label={item?.label ?? route} />;
  }
  const Current = PAGES[route];
  return <Current />;
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
