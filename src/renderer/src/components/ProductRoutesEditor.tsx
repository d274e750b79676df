// Per-product verdict routes inside the fleet card: each product publishes to the station's
// topic and webhook unless it says otherwise (its own topic, its own webhook, none, or nothing at
// all), and each row can be tried against the real broker or endpoint before saving.
import type { FleetTestResult, ProductDto, ProductOutputs } from '@shared/api';
import { DataTable, type Column } from './DataTable';

export type WebhookMode = 'station' | 'none' | 'own';

export interface RouteDraft {
  publish: boolean;
  topic: string;
  webhookMode: WebhookMode;
  webhookUrl: string;
}

export const DEFAULT_ROUTE: RouteDraft = { publish: true, topic: '', webhookMode: 'station', webhookUrl: '' };

export function routeDraftsOf(saved: Record<string, ProductOutputs> | undefined): Record<string, RouteDraft> {
  const out: Record<string, RouteDraft> = {};
  for (const [id, r] of Object.entries(saved ?? {})) {
    out[id] = {
      publish: r.publish,
      topic: r.topic ?? '',
      webhookMode: r.webhookUrl === undefined ? 'station' : r.webhookUrl === null ? 'none' : 'own',
      webhookUrl: r.webhookUrl ?? '',
    };
  }
  return out;
}

/** Only rows that differ from "the station's targets" are stored. */
export function routesOf(drafts: Record<string, RouteDraft>): Record<string, ProductOutputs> {
  const out: Record<string, ProductOutputs> = {};
  for (const [id, d] of Object.entries(drafts)) {
    const topic = d.topic.trim();
    const url = d.webhookUrl.trim();
    if (d.publish && !topic && d.webhookMode === 'station') continue;
    out[id] = {
      publish: d.publish,
      ...(topic ? { topic } : {}),
      ...(d.webhookMode === 'none'
        ? { webhookUrl: null }
        : d.webhookMode === 'own'
          ? { webhookUrl: url }
          : {}),
    };
  }
  return out;
}

export type RouteTests = Record<string, FleetTestResult | 'running' | undefined>;

export function ProductRoutesEditor({
  products,
  drafts,
  onChange,
  defaultTopic,
  hasBroker,
  tests,
  onTest,
}: {
  products: ProductDto[];
  drafts: Record<string, RouteDraft>;
  onChange: (id: string, next: RouteDraft) => void;
  /** The station's topic, shown where a product keeps it. */
  defaultTopic: string;
  hasBroker: boolean;
  /** Keyed `<product>:<target>`. */
  tests: RouteTests;
  onTest: (product: string, target: 'mqtt' | 'webhook') => void;
}) {
  const draftOf = (p: ProductDto) => drafts[p.id] ?? DEFAULT_ROUTE;
  const patch = (p: ProductDto, part: Partial<RouteDraft>) => onChange(p.id, { ...draftOf(p), ...part });
  const columns: Array<Column<ProductDto>> = [
    {
      key: 'product',
      header: 'Product',
      className: 'route-product',
      render: (p) => (
        <>
          <div>{p.name}</div>
          <div className="muted small">{p.id}</div>
        </>
      ),
    },
    {
      key: 'publish',
      header: 'Publish',
      className: 'route-publish',
      render: (p) => (
        <input
          type="checkbox"
          aria-label={`Publish verdicts of ${p.name}`}
          checked={draftOf(p).publish}
          onChange={(e) => patch(p, { publish: e.target.checked })}
          data-testid={`route-publish-${p.id}`}
        />
      ),
    },
    {
      key: 'topic',
      header: 'MQTT topic',
      render: (p) => (
        <input
          aria-label={`MQTT topic for ${p.name}`}
          value={draftOf(p).topic}
          placeholder={hasBroker ? defaultTopic : 'no broker configured'}
          disabled={!hasBroker || !draftOf(p).publish}
          onChange={(e) => patch(p, { topic: e.target.value })}
          autoComplete="off"
          data-testid={`route-topic-${p.id}`}
        />
      ),
    },
    {
      key: 'webhook',
      header: 'Webhook',
      render: (p) => {
        const d = draftOf(p);
        return (
          <div className="route-webhook">
            <select
              aria-label={`Webhook for ${p.name}`}
              value={d.webhookMode}
              disabled={!d.publish}
              onChange={(e) => patch(p, { webhookMode: e.target.value as WebhookMode })}
              data-testid={`route-webhook-mode-${p.id}`}
            >
              <option value="station">the station's</option>
              <option value="none">none</option>
              <option value="own">its own URL</option>
            </select>
            {d.webhookMode === 'own' ? (
              <input
                aria-label={`Webhook URL for ${p.name}`}
                value={d.webhookUrl}
                placeholder="https://mes.plant/verdicts/…"
                disabled={!d.publish}
                onChange={(e) => patch(p, { webhookUrl: e.target.value })}
                autoComplete="off"
                data-testid={`route-webhook-url-${p.id}`}
              />
            ) : null}
          </div>
        );
      },
    },
    {
      key: 'test',
      header: 'Test',
      className: 'route-test',
      render: (p) => (
        <div className="route-test-cell">
          {(['mqtt', 'webhook'] as const).map((t) => {
            const r = tests[`${p.id}:${t}`];
            return (
              <div key={t}>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={r === 'running'}
                  onClick={() => onTest(p.id, t)}
                  data-testid={`route-test-${t}-${p.id}`}
                >
                  {t === 'mqtt' ? 'MQTT' : 'Webhook'}
                </button>
                {r ? (
                  <span
                    className={`small ${r === 'running' ? 'muted' : r.ok ? 'ok-text' : 'field-error'}`}
                    data-testid={`route-test-result-${t}-${p.id}`}
                  >
                    {' '}
                    {r === 'running' ? 'testing…' : r.message}
                  </span>
                ) : null}
              </div>
            );
          })}
        </div>
      ),
    },
  ];
  return (
    <div className="product-routes" data-testid="product-routes">
      <h3 className="subhead">Per product</h3>
      <p className="muted small">
        Each product publishes to the station&apos;s topic and webhook unless its row says otherwise. The
        part&apos;s product is in every message either way.
      </p>
      <DataTable
        columns={columns}
        rows={products}
        rowKey={(p) => p.id}
        fixed
        testId="product-routes-table"
        caption="Verdict outputs per product"
        empty="No products yet: every verdict goes to the station's targets (Products screen to add one)."
      />
    </div>
  );
}
