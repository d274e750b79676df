// Central verification of each station's records: its audit chain, its signed checkpoints and its
// sealed inspections, re-checked from the copies in PostgreSQL. A row changed there is named.
import { useState } from 'react';
import type { FleetVerification } from '@shared/api';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { formatCount, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { ErrorNotice, Loading } from '../../components/Notice';
import { Page } from '../../components/Page';
import { Pill } from '../../components/StatusBadge';
import { useStation } from '../../hooks/station';
import { useApi } from '../../hooks/useApi';
import { describeError } from '../../transport';

export function FleetAuditPage() {
  const { client } = useStation();
  const overview = useApi('fleet.overview', {});
  const trail = useApi('audit.list', { limit: 20 });
  const [results, setResults] = useState<Record<string, FleetVerification | { error: string } | 'running'>>(
    {},
  );

  const verify = async (stationId: string) => {
    setResults((r) => ({ ...r, [stationId]: 'running' }));
    try {
      const v = await client.call('fleet.verify', { stationId });
      setResults((r) => ({ ...r, [stationId]: v }));
    } catch (err) {
      setResults((r) => ({ ...r, [stationId]: { error: describeError(err) } }));
    }
  };

  const columns: Array<Column<{ stationId: string; lastSeen: string | null; pendingDecisions: number }>> = [
    { key: 'station', header: 'Station', render: (s) => <span className="mono">{s.stationId}</span> },
    {
      key: 'seen',
      header: 'Last replicated',
      render: (s) => <span className="mono small">{formatTime(s.lastSeen)}</span>,
    },
    {
      key: 'pending',
      header: 'Decisions pending',
      className: 'num',
      render: (s) => formatCount(s.pendingDecisions),
    },
    {
      key: 'result',
      header: 'Verification',
      render: (s) => <VerifyResult result={results[s.stationId]} />,
    },
    {
      key: 'act',
      header: '',
      render: (s) => (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => void verify(s.stationId)}
          disabled={results[s.stationId] === 'running'}
          data-testid={`verify-${s.stationId}`}
        >
          <Icon name="audit" /> Verify
        </button>
      ),
    },
  ];

  return (
    <Page
      id="audit"
      title="Fleet audit"
      subtitle="Each station's audit chain, signed checkpoints and sealed inspections, verified from the central copy."
    >
      <Card title="Stations" testId="fleet-stations">
        {overview.error ? (
          <ErrorNotice error={overview.error} what="the stations" onRetry={overview.reload} />
        ) : null}
        {overview.data ? (
          <DataTable
            columns={columns}
            rows={overview.data.stations}
            rowKey={(s) => s.stationId}
            empty="No station has replicated into this database yet."
            testId="fleet-stations-table"
          />
        ) : overview.error ? null : (
          <Loading what="stations" />
        )}
        {overview.data ? (
          <p className="muted small">
            Central database <span className="mono">{overview.data.database}</span> · schema v
            {overview.data.schemaVersion}
          </p>
        ) : null}
      </Card>
      <Card title="This server's own trail (sign-ins, central decisions, accounts)" testId="fleet-trail">
        {trail.error ? <ErrorNotice error={trail.error} what="the trail" onRetry={trail.reload} /> : null}
        {trail.data ? (
          <ul className="decision-list">
            {trail.data.rows.length === 0 ? <li className="muted">Nothing recorded yet.</li> : null}
            {trail.data.rows.map((r) => (
              <li key={r.id}>
                <span className="mono small">{formatTime(r.at)}</span> · <strong>{r.actor}</strong> ·{' '}
                {r.action} · <span className="mono small">{r.entity}</span>
                {r.reason ? <> · “{r.reason}”</> : null}
              </li>
            ))}
          </ul>
        ) : null}
      </Card>
    </Page>
  );
}

function VerifyResult({ result }: { result: FleetVerification | { error: string } | 'running' | undefined }) {
  if (result === undefined) return <span className="muted small">not checked yet</span>;
  if (result === 'running') return <span className="muted small">verifying…</span>;
  if ('error' in result) return <span className="field-error">{result.error}</span>;
  if (result.ok) {
    return (
      <span data-testid="verify-ok">
        <Pill tone="ok">intact</Pill>{' '}
        <span className="muted small">
          {formatCount(result.audit.rows)} audit rows · {formatCount(result.records.checkpoints)} checkpoints
          · {formatCount(result.records.inspections)} inspections
          {result.records.pendingInspections
            ? ` (${formatCount(result.records.pendingInspections)} not here yet)`
            : ''}
        </span>
      </span>
    );
  }
  return (
    <span data-testid="verify-bad">
      <Pill tone="bad">damaged</Pill>{' '}
      <span className="small">{result.audit.ok ? result.records.problem : result.audit.problem}</span>
    </span>
  );
}
