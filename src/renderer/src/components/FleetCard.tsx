// Settings card for the station's fleet link: where it replicates (central database), where its
// verdicts go (MQTT broker, webhook), how the link is doing (lag, outbox against its cap), and a
// test button per target that tries the form's values without saving them.
import { useEffect, useState, type FormEvent } from 'react';
import type { FleetLinkConfig, FleetLinkStatus, FleetTestResult } from '@shared/api';
import { useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { describeError } from '../transport';
import { Card, Facts } from './Card';
import { formatCount, formatTime } from './format';
import { ErrorNotice, Loading, Notice } from './Notice';
import { Pill } from './StatusBadge';
import { TextField } from './TextField';
import {
  ProductRoutesEditor,
  routeDraftsOf,
  routesOf,
  type RouteDraft,
  type RouteTests,
} from './ProductRoutesEditor';

interface Draft {
  stationId: string;
  centralUrl: string;
  outboxCap: string;
  product: string;
  mqttUrl: string;
  topicPrefix: string;
  mqttUser: string;
  mqttPassword: string;
  webhookUrl: string;
  routes: Record<string, RouteDraft>;
  reason: string;
}

type TextKey = Exclude<keyof Draft, 'routes'>;

/** The link's text fields, row by row (ids are what tests and labels refer to). */
const LINK_FIELDS: Array<
  Array<{ key: TextKey; id: string; label: string; placeholder?: string; type?: 'password' }>
> = [
  [
    {
      key: 'stationId',
      id: 'fl-station',
      label: 'Station id (also the MQTT topic segment)',
      placeholder: 'line-3',
    },
    {
      key: 'product',
      id: 'fl-product',
      label: 'Product when the line runs none (sent with verdicts)',
      placeholder: 'bracket-a',
    },
  ],
  [
    {
      key: 'centralUrl',
      id: 'fl-central',
      label: 'Central database (empty: no replication)',
      placeholder: 'postgres://stations:…@db.plant:5432/inspection',
    },
    { key: 'outboxCap', id: 'fl-cap', label: 'Outbox cap (entries)', placeholder: '2000000' },
  ],
  [
    {
      key: 'mqttUrl',
      id: 'fl-mqtt',
      label: 'MQTT broker (empty: none)',
      placeholder: 'mqtt://broker.plant:1883',
    },
    { key: 'topicPrefix', id: 'fl-topic', label: 'Topic prefix', placeholder: 'station' },
  ],
  [
    { key: 'mqttUser', id: 'fl-user', label: 'MQTT user' },
    { key: 'mqttPassword', id: 'fl-pass', label: 'MQTT password', type: 'password' },
  ],
  [
    {
      key: 'webhookUrl',
      id: 'fl-webhook',
      label: 'Webhook (empty: none)',
      placeholder: 'https://mes.plant/verdicts',
    },
  ],
];

function draftOf(c: FleetLinkConfig | null): Draft {
  return {
    stationId: c?.stationId ?? '',
    centralUrl: c?.replication?.centralUrl ?? '',
    outboxCap: c?.replication?.outboxCap ? String(c.replication.outboxCap) : '',
    product: c?.outputs?.product ?? '',
    mqttUrl: c?.outputs?.mqtt?.url ?? '',
    topicPrefix: c?.outputs?.mqtt?.topicPrefix ?? '',
    mqttUser: c?.outputs?.mqtt?.username ?? '',
    mqttPassword: c?.outputs?.mqtt?.password ?? '',
    webhookUrl: c?.outputs?.webhook?.url ?? '',
    routes: routeDraftsOf(c?.outputs?.products),
    reason: '',
  };
}

function configOf(d: Draft): FleetLinkConfig {
  const t = (s: string) => s.trim();
  const products = routesOf(d.routes);
  const hasOutputs =
    t(d.mqttUrl) !== '' || t(d.webhookUrl) !== '' || Object.values(products).some((r) => !!r.webhookUrl);
  return {
    stationId: t(d.stationId),
    replication: t(d.centralUrl)
      ? { centralUrl: t(d.centralUrl), ...(t(d.outboxCap) ? { outboxCap: Number(t(d.outboxCap)) } : {}) }
      : null,
    outputs: hasOutputs
      ? {
          ...(t(d.product) ? { product: t(d.product) } : {}),
          mqtt: t(d.mqttUrl)
            ? {
                url: t(d.mqttUrl),
                ...(t(d.topicPrefix) ? { topicPrefix: t(d.topicPrefix) } : {}),
                ...(t(d.mqttUser) ? { username: t(d.mqttUser) } : {}),
                ...(d.mqttPassword ? { password: d.mqttPassword } : {}),
              }
            : null,
          webhook: t(d.webhookUrl) ? { url: t(d.webhookUrl) } : null,
          products,
        }
      : null,
  };
}

export function FleetCard() {
  const { client } = useStation();
  const status = useApi('fleet.status', {});
  const products = useApi('products.list', {});
  const [routeTests, setRouteTests] = useState<RouteTests>({});
  const [draft, setDraft] = useState<Draft | null>(null);
  const [tests, setTests] = useState<Partial<Record<FleetTestResult['target'], FleetTestResult | 'running'>>>(
    {},
  );
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const { reload } = status;

  // Lag and outbox move by the second while the link is down; keep them current.
  useEffect(() => {
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [reload]);
  const loaded = status.data;
  useEffect(() => {
    if (loaded && draft === null) setDraft(draftOf(loaded.config));
  }, [loaded, draft]);

  const set = (k: TextKey, v: string) => setDraft((d) => (d ? { ...d, [k]: v } : d));
  const setRoute = (id: string, r: RouteDraft) =>
    setDraft((d) => (d ? { ...d, routes: { ...d.routes, [id]: r } } : d));

  const testRoute = async (product: string, target: 'mqtt' | 'webhook') => {
    if (!draft) return;
    const key = `${product}:${target}`;
    setRouteTests((t) => ({ ...t, [key]: 'running' }));
    try {
      const r = await client.call('fleet.test', { target, config: configOf(draft), product });
      setRouteTests((t) => ({ ...t, [key]: r }));
    } catch (err) {
      setRouteTests((t) => ({ ...t, [key]: { ok: false, target, message: describeError(err), ms: 0 } }));
    }
  };

  const test = async (target: FleetTestResult['target']) => {
    if (!draft) return;
    setTests((t) => ({ ...t, [target]: 'running' }));
    try {
      const r = await client.call('fleet.test', { target, config: configOf(draft) });
      setTests((t) => ({ ...t, [target]: r }));
    } catch (err) {
      setTests((t) => ({ ...t, [target]: { ok: false, target, message: describeError(err), ms: 0 } }));
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    if (!draft.reason.trim()) {
      setMessage({ ok: false, text: 'Say why the fleet link changes (it is audited).' });
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      const next = await client.call('fleet.configure', {
        config: configOf(draft),
        actor: '',
        reason: draft.reason.trim(),
      });
      setDraft(draftOf(next.config));
      setMessage({ ok: true, text: 'Saved; replication and outputs restarted with it.' });
      reload();
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card
      title="Fleet and plant outputs"
      className="fleet-card"
      testId="fleet-card"
      aside={<LinkPill s={loaded} />}
    >
      {status.error && !loaded ? (
        <ErrorNotice error={status.error} what="the fleet link" onRetry={reload} />
      ) : null}
      {!loaded ? status.error ? null : <Loading what="the fleet link" /> : <LinkFacts s={loaded} />}
      {loaded?.configErrors.length ? (
        <Notice tone="bad" title="A saved configuration is not in use">
          {loaded.configErrors.join(' · ')}
        </Notice>
      ) : null}
      {draft ? (
        <form className="fleet-form" onSubmit={(e) => void save(e)} data-testid="fleet-form">
          {LINK_FIELDS.map((row) => (
            <div className={row.length > 1 ? 'field-row' : undefined} key={row[0].key}>
              {row.map((f) => (
                <TextField
                  key={f.key}
                  id={f.id}
                  label={f.label}
                  type={f.type}
                  value={draft[f.key]}
                  onChange={(v) => set(f.key, v)}
                  placeholder={
                    f.key === 'outboxCap' && loaded?.replication
                      ? String(loaded.replication.outbox.cap)
                      : f.placeholder
                  }
                />
              ))}
            </div>
          ))}
          <div className="fleet-tests">
            {(['central', 'mqtt', 'webhook'] as const).map((t) => (
              <button
                key={t}
                type="button"
                className="btn btn-small"
                onClick={() => void test(t)}
                disabled={tests[t] === 'running'}
                data-testid={`fleet-test-${t}`}
              >
                Test {t === 'central' ? 'central database' : t === 'mqtt' ? 'MQTT' : 'webhook'}
              </button>
            ))}
          </div>
          {(['central', 'mqtt', 'webhook'] as const).map((t) => {
            const r = tests[t];
            if (!r) return null;
            return (
              <p
                key={t}
                className={`fleet-test-result ${r === 'running' ? 'muted' : r.ok ? 'ok-text' : 'field-error'}`}
                data-testid={`fleet-test-result-${t}`}
              >
                {r === 'running' ? `Testing ${t}…` : `${t}: ${r.message} (${r.ms} ms)`}
              </p>
            );
          })}
          <ProductRoutesEditor
            products={products.data?.products ?? []}
            drafts={draft.routes}
            onChange={setRoute}
            defaultTopic={`${draft.topicPrefix.trim() || 'station'}/${draft.stationId.trim() || '<station>'}/verdict`}
            hasBroker={draft.mqttUrl.trim() !== ''}
            tests={routeTests}
            onTest={(p, t) => void testRoute(p, t)}
          />
          {products.error ? (
            <ErrorNotice error={products.error} what="the products" onRetry={products.reload} />
          ) : null}
          <TextField
            id="fl-reason"
            label="Reason for the change (audited)"
            value={draft.reason}
            onChange={(v) => set('reason', v)}
            placeholder="e.g. line 3 joins the plant fleet"
          />
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={saving} data-testid="fleet-save">
              Save fleet link
            </button>
            <span className="muted small">
              Administrators only. Passwords are never shown back; “•••” keeps the stored one.
            </span>
          </div>
          {message ? (
            <p className={message.ok ? 'ok-text' : 'field-error'} role="status" data-testid="fleet-message">
              {message.text}
            </p>
          ) : null}
        </form>
      ) : null}
    </Card>
  );
}

function LinkPill({ s }: { s: FleetLinkStatus | undefined }) {
  if (!s) return null;
  if (!s.config) return <Pill tone="neutral">not in a fleet</Pill>;
  const r = s.replication;
  if (r && !r.connected && r.outbox.queued > 0) return <Pill tone="bad">central database unreachable</Pill>;
  if (r?.outbox.full) return <Pill tone="bad">outbox full</Pill>;
  if (s.config.outputs?.mqtt && s.outputs && !s.outputs.mqttConnected)
    return <Pill tone="warn">MQTT broker unreachable</Pill>;
  return <Pill tone="ok">linked</Pill>;
}

function LinkFacts({ s }: { s: FleetLinkStatus }) {
  const r = s.replication;
  const o = s.outputs;
  if (!s.config) {
    return (
      <p className="muted">
        This station does not replicate or publish verdicts. Fill in the form to join a fleet.
      </p>
    );
  }
  return (
    <Facts
      items={[
        {
          label: 'Replication',
          value: r
            ? `${r.connected ? 'connected' : 'not connected'}${r.lastShippedAt ? ` · last shipped ${formatTime(r.lastShippedAt)}` : ''}`
            : 'off',
          testId: 'fleet-replication',
        },
        {
          label: 'Lag',
          value: r
            ? r.lagSeconds === null
              ? 'nothing waiting'
              : `${r.lagSeconds.toFixed(1)} s (oldest waiting entry)`
            : '—',
          testId: 'fleet-lag',
        },
        {
          label: 'Outbox',
          value: r
            ? `${formatCount(r.outbox.queued)} of ${formatCount(r.outbox.cap)} entries${r.outbox.full ? ' · FULL' : ''}${
                r.outbox.dropped ? ` · ${formatCount(r.outbox.dropped)} refused, resync pending` : ''
              }`
            : '—',
          testId: 'fleet-outbox',
        },
        {
          label: 'Central decisions',
          value: r
            ? `applied up to #${r.decisions.appliedSeq}${r.decisions.lastPullAt ? ` · asked ${formatTime(r.decisions.lastPullAt)}` : ''}`
            : '—',
        },
        {
          label: 'Plant outputs',
          value: o
            ? `MQTT ${o.mqttConnected ? 'connected' : 'not connected'} · ${formatCount(o.published)} published · webhook ${formatCount(
                o.webhookDelivered,
              )} delivered, ${formatCount(o.webhookFailed)} failed · ${formatCount(o.pending)} waiting${
                o.dropped ? ` · ${formatCount(o.dropped)} dropped` : ''
              }`
            : 'off',
          testId: 'fleet-outputs',
        },
        ...(r?.lastError || r?.decisions.lastError || o?.lastError
          ? [{ label: 'Last error', value: r?.lastError ?? r?.decisions.lastError ?? o?.lastError ?? '' }]
          : []),
      ]}
    />
  );
}
