// The fleet server's review queue: FAIL and REVIEW parts of every station, filtered by station
// and product. A decision made here is stored centrally and applied by the part's own station
// when it next reaches the central database; the detail says where each decision stands.
import { useEffect, useMemo, useState } from 'react';
import type {
  CentralDecisionDto,
  FleetFilterInput,
  FleetInspectionDto,
  ReviewDecisionDto,
} from '@shared/api';
import { Card, Facts } from '../../components/Card';
import { formatCount, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { ErrorNotice, Loading, Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { StatusBadge } from '../../components/StatusBadge';
import { useAuth } from '../../hooks/auth';
import { useStation } from '../../hooks/station';
import { useApi } from '../../hooks/useApi';
import { useStoreImage } from '../../hooks/useStoreImage';
import { formatScore } from '../../lib/filters';
import { describeError } from '../../transport';
import { StationProductFilter, useFleetChoices } from './FleetFilters';
import { DecisionForm, EMPTY_DECISION, type DecisionDraft } from '../../components/DecisionForm';
import {
  QueueChoiceFields,
  QueueList,
  type ReviewedChoice,
  type VerdictChoice,
} from '../../components/ReviewQueue';

const PAGE = 40;

interface QueueFilter {
  verdict: VerdictChoice;
  reviewed: ReviewedChoice;
  stationId: string;
  product: string;
}

function toApiFilter(q: QueueFilter): FleetFilterInput {
  const f: FleetFilterInput = { verdicts: q.verdict === 'both' ? ['FAIL', 'REVIEW'] : [q.verdict] };
  if (q.reviewed !== 'any') f.reviewed = q.reviewed === 'yes';
  if (q.stationId) f.stationId = q.stationId;
  if (q.product) f.product = q.product;
  return f;
}

export function FleetReviewPage() {
  const { client } = useStation();
  const auth = useAuth();
  const choices = useFleetChoices();
  const [qf, setQf] = useState<QueueFilter>({ verdict: 'both', reviewed: 'no', stationId: '', product: '' });
  const filter = useMemo(() => toApiFilter(qf), [qf]);
  const [tick, setTick] = useState(0);
  const key = `${JSON.stringify(filter)}|${tick}`;
  const [queue, setQueue] = useState<{
    key: string;
    rows: FleetInspectionDto[];
    next: { at: string; id: number } | null;
  }>({ key: '', rows: [], next: null });
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const loading = queue.key !== key;

  useEffect(() => {
    let live = true;
    client.call('fleet.inspections', { filter, limit: PAGE }).then(
      (page) => {
        if (!live) return;
        setError(null);
        setQueue({ key, rows: page.rows, next: page.next });
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [client, filter, key]);

  const loadMore = async () => {
    if (!queue.next) return;
    try {
      const page = await client.call('fleet.inspections', { filter, limit: PAGE, after: queue.next });
      setQueue((q) => ({ key: q.key, rows: [...q.rows, ...page.rows], next: page.next }));
    } catch (err) {
      setError(err);
    }
  };

  const rows = queue.rows;
  const selectedId = selected ?? rows[0]?.id ?? null;

  return (
    <Page
      id="review"
      title="Fleet review queue"
      subtitle="FAIL and REVIEW parts from every station. A decision is stored here, audited under your name, and applied by the part's own station."
      actions={
        <span className="operator-chip" data-testid="reviewer">
          Reviewer: <strong>{auth.status.user?.displayName ?? '…'}</strong>
        </span>
      }
    >
      <div className="review-grid">
        <div className="stack">
          <Card
            title="Queue"
            testId="review-queue"
            aside={
              <span className="muted small" data-testid="queue-count">
                {loading ? 'loading…' : `${formatCount(rows.length)}${queue.next ? '+' : ''} shown`}
              </span>
            }
          >
            <div className="filter-bar compact fleet-filters">
              <StationProductFilter
                choices={choices}
                value={qf}
                onChange={(patch) => setQf({ ...qf, ...patch })}
              />
              <QueueChoiceFields
                verdict={qf.verdict}
                reviewed={qf.reviewed}
                onChange={(patch) => setQf({ ...qf, ...patch })}
                testIdPrefix="fq"
              />
              <button
                type="button"
                className="btn"
                onClick={() => setTick((t) => t + 1)}
                title="Reload the queue"
              >
                <Icon name="refresh" /> Refresh
              </button>
            </div>
            {error ? (
              <ErrorNotice error={error} what="the fleet queue" onRetry={() => setTick((t) => t + 1)} />
            ) : null}
            <QueueList
              rows={rows}
              selectedId={selectedId}
              onSelect={setSelected}
              loading={loading}
              onlyUnreviewed={qf.reviewed === 'no'}
              more={queue.next !== null}
              onLoadMore={() => void loadMore()}
              itemClassName="queue-item fleet-item"
              renderItem={(r) => (
                <>
                  <StatusBadge verdict={r.verdict} size="sm" />
                  <span className="mono small ellipsis" title={`${r.stationId} #${r.stationInspectionId}`}>
                    {r.stationId}
                  </span>
                  <span className="mono small">{formatScore(r.normScore)}</span>
                  <span className="muted small mono" title={formatTime(r.at)}>
                    {formatTime(r.at).slice(11, 16)}
                  </span>
                  <FleetDecisionTag row={r} />
                </>
              )}
            />
          </Card>
        </div>
        <div className="stack">
          {selectedId !== null ? (
            <FleetDetail key={selectedId} id={selectedId} onDecided={() => setTick((t) => t + 1)} />
          ) : (
            <Notice tone="info" title="Nothing selected">
              Pick a part from the queue.
            </Notice>
          )}
        </div>
      </div>
    </Page>
  );
}

function FleetDecisionTag({ row }: { row: FleetInspectionDto }) {
  if (row.pending) {
    return (
      <span
        className="decision-tag pending"
        data-testid="decision-tag"
        title="Decided here; the station has not applied it yet"
      >
        {row.pending.decision === 'defect_confirmed' ? 'defect' : 'false alarm'} · pending
      </span>
    );
  }
  // Open parts carry no tag: the narrow queue keeps its room for the station name.
  if (!row.review) return null;
  return row.review.decision === 'defect_confirmed' ? (
    <span className="decision-tag defect" data-testid="decision-tag">
      defect
    </span>
  ) : (
    <span className="decision-tag false-alarm" data-testid="decision-tag">
      false alarm
    </span>
  );
}

function FleetDetail({ id, onDecided }: { id: number; onDecided: () => void }) {
  const { client } = useStation();
  const detail = useApi('fleet.inspection', { id });
  const [draft, setDraft] = useState<DecisionDraft>(EMPTY_DECISION);
  const { defectType, reason, changeReason } = draft;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  if (detail.error && !detail.data)
    return <ErrorNotice error={detail.error} what={`inspection ${id}`} onRetry={detail.reload} />;
  if (!detail.data || detail.data.inspection.id !== id) return <Loading what={`inspection ${id}`} />;
  const { inspection, stationDecisions, centralDecisions } = detail.data;
  const decided = stationDecisions.length > 0 || centralDecisions.some((d) => d.applyError === null);

  const decide = async (decision: 'defect_confirmed' | 'false_alarm') => {
    if (decision === 'false_alarm' && !reason.trim()) {
      setMessage({ ok: false, text: 'A false alarm needs a reason: say why the part is good.' });
      return;
    }
    if (decided && !changeReason.trim()) {
      setMessage({ ok: false, text: 'Say why the decision changes.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await client.call('fleet.decide', {
        id,
        decision,
        ...(decision === 'defect_confirmed' && defectType.trim() ? { defectType: defectType.trim() } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(decided ? { change: { reason: changeReason.trim() } } : {}),
        reviewer: '',
      });
      setMessage({
        ok: true,
        text: `Stored. ${inspection.stationId} applies it the next time it reaches the central database.`,
      });
      setDraft((d) => ({ ...d, changing: false }));
      detail.reload();
      onDecided();
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={`${inspection.stationId} · inspection #${inspection.stationInspectionId}`}
      testId="review-detail"
      aside={<StatusBadge verdict={inspection.verdict} size="md" />}
    >
      <FleetImages inspection={inspection} />
      <Facts
        items={[
          { label: 'Station', value: inspection.stationId, mono: true, testId: 'detail-station' },
          {
            label: 'Product',
            value: inspection.productId
              ? `${inspection.productId}${inspection.runId !== null ? ` · run ${inspection.runId}` : ''}`
              : 'not recorded by the station',
            testId: 'detail-product',
          },
          {
            label: 'Score',
            value: `${formatScore(inspection.normScore)} (raw ${inspection.rawScore.toFixed(3)})`,
            mono: true,
          },
          { label: 'Inspected', value: formatTime(inspection.at), mono: true },
          { label: 'Model', value: `${inspection.modelId} · v${inspection.modelVersion}`, mono: true },
          { label: 'Central id', value: String(inspection.id), mono: true },
        ]}
      />
      {inspection.verdict === 'PASS' ? (
        <Notice tone="info" title="This part passed">
          Only FAIL and REVIEW parts take a QA decision.
        </Notice>
      ) : (
        <DecisionForm
          idPrefix="fleet-"
          draft={draft}
          onDraft={setDraft}
          decided={decided}
          busy={busy}
          onDecide={(d) => void decide(d)}
          message={message}
        />
      )}
      <h3 className="subhead">Decisions</h3>
      <DecisionHistory station={stationDecisions} central={centralDecisions} />
    </Card>
  );
}

function FleetImages({ inspection }: { inspection: FleetInspectionDto }) {
  const image = useStoreImage(inspection.imageRef);
  const heatmap = useStoreImage(inspection.heatmapRef);
  return (
    <div className="fleet-images">
      <figure>
        {inspection.imageRef ? (
          image.url ? (
            <img
              src={image.url}
              alt={`Part ${inspection.stationInspectionId} from ${inspection.stationId}`}
            />
          ) : image.error ? (
            <p className="muted small">{describeError(image.error)}</p>
          ) : (
            <p className="muted small">loading image…</p>
          )
        ) : (
          <p className="muted small">
            {inspection.storeError
              ? `No image: ${inspection.storeError}`
              : 'The station stored no image of this part.'}
          </p>
        )}
        <figcaption>Image</figcaption>
      </figure>
      <figure>
        {inspection.heatmapRef ? (
          heatmap.url ? (
            <img src={heatmap.url} alt="Anomaly heatmap" />
          ) : heatmap.error ? (
            <p className="muted small">{describeError(heatmap.error)}</p>
          ) : (
            <p className="muted small">loading heatmap…</p>
          )
        ) : (
          <p className="muted small">No heatmap for this part.</p>
        )}
        <figcaption>Heatmap (as stored; not overlaid here)</figcaption>
      </figure>
    </div>
  );
}

function DecisionHistory({
  station,
  central,
}: {
  station: ReviewDecisionDto[];
  central: CentralDecisionDto[];
}) {
  if (station.length === 0 && central.length === 0) {
    return (
      <p className="muted" data-testid="decision-history">
        Not reviewed yet.
      </p>
    );
  }
  return (
    <ul className="decision-list" data-testid="decision-history">
      {central
        .slice()
        .reverse()
        .map((d) => (
          <li key={`c${d.id}`}>
            <strong>{d.reviewer}</strong> (fleet server) ·{' '}
            {d.decision === 'defect_confirmed' ? 'defect' : 'false alarm'}
            {d.defectType ? <> · type {d.defectType}</> : null}
            {d.reason ? <> · “{d.reason}”</> : null} ·{' '}
            <span className="mono small">{formatTime(d.decidedAt)}</span> ·{' '}
            {d.applyError ? (
              <span className="field-error">refused by the station: {d.applyError}</span>
            ) : d.appliedAt ? (
              <span className="ok-text">applied at the station {formatTime(d.appliedAt)}</span>
            ) : (
              <span className="muted">waiting for the station to apply it</span>
            )}
          </li>
        ))}
      {station
        .slice()
        .reverse()
        .map((d) => (
          <li key={`s${d.id}`}>
            <strong>{d.reviewer}</strong> (station record) ·{' '}
            {d.decision === 'defect_confirmed' ? 'defect' : 'false alarm'}
            {d.defectType ? <> · type {d.defectType}</> : null}
            {d.reason ? <> · “{d.reason}”</> : null} ·{' '}
            <span className="mono small">{formatTime(d.decidedAt)}</span>
          </li>
        ))}
    </ul>
  );
}
