// Per-line yield across the fleet, and the CSV export of the central inspections. A period of
// whole hours (or everything) is answered from the hourly summary, so the page stays fast over
// millions of inspections.
import { useMemo, useState } from 'react';
import type { FleetFilterInput, FleetYieldRow } from '@shared/api';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { formatCount, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { ErrorNotice, Loading } from '../../components/Notice';
import { Page } from '../../components/Page';
import { useApi } from '../../hooks/useApi';
import { StationProductFilter, useFleetChoices } from './FleetFilters';

type Period = 'hour' | 'day' | 'week' | 'all';
const PERIOD_HOURS: Record<Exclude<Period, 'all'>, number> = { hour: 1, day: 24, week: 24 * 7 };
const PERIOD_LABEL: Record<Period, string> = {
  hour: 'This hour and the last',
  day: 'Last 24 hours',
  week: 'Last 7 days',
  all: 'Everything',
};

/** Start of the period, on a whole hour so the server can use its hourly counts. */
function periodStart(p: Period, now: number): string | undefined {
  if (p === 'all') return undefined;
  const hour = Math.floor(now / 3_600_000) * 3_600_000;
  return new Date(hour - PERIOD_HOURS[p] * 3_600_000).toISOString();
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

const COLUMNS: Array<Column<FleetYieldRow>> = [
  { key: 'station', header: 'Station (line)', render: (r) => <span className="mono">{r.stationId}</span> },
  { key: 'total', header: 'Inspected', className: 'num', render: (r) => formatCount(r.total) },
  { key: 'pass', header: 'PASS', className: 'num', render: (r) => formatCount(r.pass) },
  { key: 'review', header: 'REVIEW', className: 'num', render: (r) => formatCount(r.review) },
  { key: 'fail', header: 'FAIL', className: 'num', render: (r) => formatCount(r.fail) },
  {
    key: 'yield',
    header: 'Yield',
    render: (r) => (
      <span className="fleet-yield-cell" title="PASS share of inspected parts">
        <span className="fleet-yield-bar" aria-hidden="true">
          <span style={{ width: `${((r.yield ?? 0) * 100).toFixed(1)}%` }} />
        </span>
        <span className="mono">{pct(r.yield)}</span>
      </span>
    ),
  },
  {
    key: 'span',
    header: 'Period covered',
    render: (r) => (
      <span className="mono small">
        {formatTime(r.firstAt).slice(0, 16)} – {formatTime(r.lastAt).slice(0, 16)}
      </span>
    ),
  },
];

export function FleetLinesPage() {
  const choices = useFleetChoices();
  // The start is fixed when the period is picked, so every reload asks the same question.
  const [span, setSpan] = useState<{ period: Period; from: string | undefined }>({
    period: 'all',
    from: undefined,
  });
  const [sel, setSel] = useState({ stationId: '', product: '' });
  const { period, from } = span;
  const filter: FleetFilterInput = useMemo(
    () => ({
      ...(sel.stationId ? { stationId: sel.stationId } : {}),
      ...(sel.product ? { product: sel.product } : {}),
      ...(from ? { from } : {}),
    }),
    [sel, from],
  );
  const yields = useApi('fleet.yield', { filter });
  const csvHref = useMemo(() => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) q.set(k, String(v));
    const s = q.toString();
    return `/api/export/fleet.csv${s ? `?${s}` : ''}`;
  }, [filter]);
  const totals = (yields.data ?? []).reduce((a, r) => ({ total: a.total + r.total, pass: a.pass + r.pass }), {
    total: 0,
    pass: 0,
  });

  return (
    <Page
      id="history"
      title="Lines"
      subtitle="Yield per station across the fleet, and every replicated inspection as CSV."
      actions={
        <a className="btn" href={csvHref} download data-testid="fleet-csv">
          <Icon name="history" /> Export CSV
        </a>
      }
    >
      <Card title="Filter" testId="lines-filter">
        <div className="filter-bar">
          <label className="mini-field">
            Period
            <select
              value={period}
              onChange={(e) => {
                const p = e.target.value as Period;
                setSpan({ period: p, from: periodStart(p, Date.now()) });
              }}
              data-testid="f-period"
            >
              {(Object.keys(PERIOD_LABEL) as Period[]).map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABEL[p]}
                </option>
              ))}
            </select>
          </label>
          <StationProductFilter
            choices={choices}
            value={sel}
            onChange={(patch) => setSel({ ...sel, ...patch })}
          />
          <button type="button" className="btn" onClick={yields.reload}>
            <Icon name="refresh" /> Refresh
          </button>
        </div>
        <p className="muted small">
          The export streams every inspection matching station, product and period (all verdicts), newest
          first.
        </p>
      </Card>
      <Card
        title="Yield per line"
        testId="fleet-yield"
        aside={
          yields.data ? (
            <span className="muted small" data-testid="fleet-yield-total">
              fleet: {formatCount(totals.total)} inspected ·{' '}
              {pct(totals.total ? totals.pass / totals.total : null)}
            </span>
          ) : null
        }
      >
        {yields.error ? <ErrorNotice error={yields.error} what="the yield" onRetry={yields.reload} /> : null}
        {yields.data ? (
          <DataTable
            columns={COLUMNS}
            rows={yields.data}
            rowKey={(r) => r.stationId}
            empty="No inspections from any station in this period."
            testId="fleet-yield-table"
            caption="Yield per station"
          />
        ) : yields.error ? null : (
          <Loading what="yield per line" />
        )}
      </Card>
    </Page>
  );
}
