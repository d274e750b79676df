import { NoHeatmap } from '../components/NoHeatmap';
import { ModelTimeFields } from '../components/ModelTimeFields';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { InspectionDto, InspectionFilterInput, ReviewDecisionDto } from '@shared/api';
import type { HeatmapFit } from '@shared/station';
import { Card, Facts } from '../components/Card';
import { formatCount, formatTime } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill, StatusBadge } from '../components/StatusBadge';
import { useAuth } from '../hooks/auth';
import { useSettings } from '../hooks/settings';
import { useRouteQuery } from '../hooks/route';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { useStoreImage } from '../hooks/useStoreImage';
import { formatScore } from '../lib/filters';
import { composeOverlay, fadeLowValues, loadImage } from '../lib/overlay';
import { SaveGoodButton } from '../components/SaveGoodDialog';
import { useZoom, ZoomControls, ZoomViewport } from '../components/ZoomView';
import { describeError } from '../transport';
import { DecisionForm, EMPTY_DECISION, type DecisionDraft } from '../components/DecisionForm';
import {
  QueueChoiceFields,
  QueueList,
  type ReviewedChoice,
  type VerdictChoice,
} from '../components/ReviewQueue';

const PAGE = 40;

interface QueueFilter {
  verdict: VerdictChoice;
  reviewed: ReviewedChoice;
  modelId: string;
  from: string;
  to: string;
}

function toApiFilter(q: QueueFilter): InspectionFilterInput {
  const f: InspectionFilterInput = { verdicts: q.verdict === 'both' ? ['FAIL', 'REVIEW'] : [q.verdict] };
  if (q.reviewed !== 'any') f.reviewed = q.reviewed === 'yes';
  if (q.modelId) f.modelId = q.modelId;
  if (q.from) f.from = new Date(q.from).toISOString();
  if (q.to) f.to = new Date(q.to).toISOString();
  return f;
}

export function ReviewPage() {
  const { client } = useStation();
  const auth = useAuth();
  const routeQuery = useRouteQuery();
  const routeId = routeQuery.get('id');
  const [qf, setQf] = useState<QueueFilter>({
    verdict: 'both',
    reviewed: 'no',
    modelId: '',
    from: '',
    to: '',
  });
  const filter = useMemo(() => toApiFilter(qf), [qf]);
  const models = useApi('inspections.models', {});

  // The queue: keyset pages appended as the reviewer scrolls ("Load more").
  const [queue, setQueue] = useState<{
    key: string;
    rows: InspectionDto[];
    next: InspectionDto | null;
    done: boolean;
  }>({
    key: '',
    rows: [],
    next: null,
    done: false,
  });
  const [tick, setTick] = useState(0);
  const [queueError, setQueueError] = useState<unknown>(null);
  const filterKey = `${JSON.stringify(filter)}|${tick}`;
  const loading = queue.key !== filterKey;

  useEffect(() => {
    let live = true;
    client.call('inspections.list', { filter, limit: PAGE }).then(
      (page) => {
        if (!live) return;
        setQueueError(null);
        setQueue({
          key: filterKey,
          rows: page.rows,
          next: page.next ? (page.rows[page.rows.length - 1] ?? null) : null,
          done: !page.next,
        });
      },
      (err: unknown) => live && setQueueError(err),
    );
    return () => {
      live = false;
    };
  }, [client, filter, filterKey]);

  const loadMore = async () => {
    const last = queue.next;
    if (!last) return;
    try {
      const page = await client.call('inspections.list', {
        filter,
        limit: PAGE,
        after: { at: last.at, id: last.id },
      });
      setQueue((q) => ({
        key: q.key,
        rows: [...q.rows, ...page.rows.filter((r) => !q.rows.some((x) => x.id === r.id))],
        next: page.next ? (page.rows[page.rows.length - 1] ?? null) : null,
        done: !page.next,
      }));
    } catch (err) {
      setQueueError(err);
    }
  };

  // Selection: the route's ?id= wins until the reviewer picks another part on this screen.
  const [picked, setPicked] = useState<{ route: string | null; id: number | null }>({
    route: null,
    id: null,
  });
  const selectedId =
    picked.route === routeId && picked.id !== null
      ? picked.id
      : routeId !== null
        ? Number(routeId)
        : (queue.rows[0]?.id ?? null);
  const select = useCallback((id: number | null) => setPicked({ route: routeId, id }), [routeId]);

  const rows = queue.rows;
  const index = rows.findIndex((r) => r.id === selectedId);

  const patchRow = (d: ReviewDecisionDto) =>
    setQueue((q) => ({
      ...q,
      rows: q.rows.map((r) =>
        r.id === d.inspectionId
          ? {
              ...r,
              review: {
                decision: d.decision,
                defectType: d.defectType,
                reviewer: d.reviewer,
                decidedAt: d.decidedAt,
                reason: d.reason,
              },
            }
          : r,
      ),
    }));
  // Another reviewer's decision shows up here too, so two people do not review the same part.
  useEvent('review.recorded', patchRow);

  const move = useCallback(
    (delta: number) => {
      if (rows.length === 0) return;
      const at = index < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, index + delta));
      select(rows[at].id);
    },
    [rows, index, select],
  );

  const onDecided = (d: ReviewDecisionDto) => {
    patchRow(d);
    // Straight on to the next part: reviewing is a queue, not a form.
    if (index >= 0 && index < rows.length - 1) select(rows[index + 1].id);
  };

  return (
    <Page
      id="review"
      title="Review queue"
      subtitle="FAIL and REVIEW parts for a QA decision. Every decision is written to the audit trail under your name."
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
            aside={<QueueCount rows={rows.length} done={queue.done} loading={loading} />}
          >
            <div className="filter-bar compact">
              <QueueChoiceFields
                verdict={qf.verdict}
                reviewed={qf.reviewed}
                onChange={(patch) => setQf({ ...qf, ...patch })}
                testIdPrefix="rq"
              />
              <ModelTimeFields
                value={qf}
                onChange={(patch) => setQf({ ...qf, ...patch })}
                models={(models.data ?? []).map((m) => m.modelId)}
                testIdPrefix="rq"
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
            {queueError ? (
              <ErrorNotice error={queueError} what="the review queue" onRetry={() => setTick((t) => t + 1)} />
            ) : null}
            <QueueList
              rows={rows}
              selectedId={selectedId}
              onSelect={select}
              loading={loading}
              onlyUnreviewed={qf.reviewed === 'no'}
              more={!queue.done}
              onLoadMore={() => void loadMore()}
              renderItem={(r) => (
                <>
                  <StatusBadge verdict={r.verdict} size="sm" />
                  <span className="mono">#{r.id}</span>
                  <span className="mono small">{formatScore(r.normScore)}</span>
                  <span className="muted small mono" title={formatTime(r.at)}>
                    {formatTime(r.at).slice(11)}
                  </span>
                  <DecisionTag review={r.review} />
                </>
              )}
            />
          </Card>
          <CandidatesCard />
        </div>
        <div className="stack">
          {selectedId !== null ? (
            <Detail
              id={selectedId}
              reviewer={auth.status.user?.name ?? ''}
              onDecided={onDecided}
              onMove={move}
              position={
                index >= 0
                  ? `${index + 1} of ${rows.length}${queue.done ? '' : '+'}`
                  : 'not in the queue shown'
              }
            />
          ) : (
            <Notice tone="info" title="Nothing selected">
              Pick a part from the queue, or open one from Live or History.
            </Notice>
          )}
        </div>
      </div>
    </Page>
  );
}

function QueueCount({ rows, done, loading }: { rows: number; done: boolean; loading: boolean }) {
  return (
    <span className="muted small" data-testid="queue-count">
      {loading ? 'loading…' : `${formatCount(rows)}${done ? '' : '+'} shown`}
    </span>
  );
}

function DecisionTag({ review }: { review: InspectionDto['review'] }) {
  if (!review) return <span className="decision-tag open">open</span>;
  return review.decision === 'defect_confirmed' ? (
    <span className="decision-tag defect" data-testid="decision-tag">
      defect
    </span>
  ) : (
    <span className="decision-tag false-alarm" data-testid="decision-tag">
      false alarm
    </span>
  );
}

function Detail({
  id,
  reviewer,
  onDecided,
  onMove,
  position,
}: {
  id: number;
  reviewer: string;
  onDecided: (d: ReviewDecisionDto) => void;
  onMove: (delta: number) => void;
  position: string;
}) {
  const { client } = useStation();
  const detail = useApi('inspections.get', { id });
  const [draft, setDraft] = useState<DecisionDraft>(EMPTY_DECISION);
  const { defectType, reason, changing, changeReason } = draft;
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);
  const [shown, setShown] = useState(id);
  if (shown !== id) {
    // A new part starts with an empty form; a half-typed reason belongs to the previous one.
    // The confirmation of the decision just made stays: it is what moved us here.
    setShown(id);
    setDraft(EMPTY_DECISION);
    if (message && !message.ok) setMessage(null);
  }

  useEvent('review.recorded', (d) => {
    if (d.inspectionId === id) detail.reload();
  });

  const inspection = detail.data?.inspection ?? null;
  const decided = (detail.data?.decisions.length ?? 0) > 0;
  const decide = useCallback(
    async (decision: 'defect_confirmed' | 'false_alarm') => {
      if (!inspection || busy) return;
      // A part is decided once: D or G on a decided part must not add another decision.
      if (decided && !changing) {
        setMessage({
          ok: false,
          text: `#${inspection.id} is already decided. Press “Change decision” and say why to change it.`,
        });
        return;
      }
      if (changing && !changeReason.trim()) {
        setMessage({ ok: false, text: 'Say why the decision changes: it is stored in the audit trail.' });
        return;
      }
      if (!reviewer) {
        setMessage({
          ok: false,
          text: 'Set the operator name in Settings first: decisions are signed with it.',
        });
        return;
      }
      if (decision === 'false_alarm' && !reason.trim()) {
        setMessage({ ok: false, text: 'A false alarm needs a reason: type it and press Enter.' });
        reasonRef.current?.focus();
        return;
      }
      setBusy(true);
      setMessage(null);
      try {
        const r = await client.call('reviews.record', {
          inspectionId: inspection.id,
          decision,
          reviewer,
          ...(decision === 'defect_confirmed' && defectType.trim() ? { defectType: defectType.trim() } : {}),
          ...(reason.trim() ? { reason: reason.trim() } : {}),
          ...(changing ? { change: { reason: changeReason.trim() } } : {}),
        });
        setDraft((d) => ({ ...d, changing: false, changeReason: '' }));
        setMessage({
          ok: true,
          text: `#${inspection.id}: ${decision === 'false_alarm' ? 'false alarm' : 'defect confirmed'} by ${reviewer} (audit #${r.auditId}).`,
        });
        (document.activeElement as HTMLElement | null)?.blur?.();
        onDecided(r.decision);
      } catch (err) {
        setMessage({ ok: false, text: describeError(err) });
      } finally {
        setBusy(false);
      }
    },
    [inspection, busy, reviewer, reason, defectType, client, onDecided, decided, changing, changeReason],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (
        t &&
        (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
      ) {
        if (e.key === 'Escape') t.blur();
        return;
      }
      // Shift+arrows pan a zoomed picture (ZoomView); plain arrows move through the queue.
      if (e.shiftKey && e.key.startsWith('Arrow')) return;
      const k = e.key.toLowerCase();
      if (k === 'd') void decide('defect_confirmed');
      else if (k === 'g') void decide('false_alarm');
      else if (k === 'j' || e.key === 'ArrowDown' || e.key === 'ArrowRight') onMove(1);
      else if (k === 'k' || e.key === 'ArrowUp' || e.key === 'ArrowLeft') onMove(-1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [decide, onMove]);

  if (detail.error && !inspection)
    return <ErrorNotice error={detail.error} what={`inspection #${id}`} onRetry={detail.reload} />;
  if (!inspection || detail.data?.inspection.id !== id) return <Loading what={`inspection #${id}`} />;
  const decisions = detail.data.decisions;

  return (
    <Card
      title={`Inspection #${inspection.id}`}
      testId="review-detail"
      aside={
        <span className="detail-head">
          <span className="muted small">{position}</span>
          <StatusBadge verdict={inspection.verdict} size="md" />
        </span>
      }
    >
      <ImageTriptych key={inspection.id} inspection={inspection} />
      <Facts
        items={[
          {
            label: 'Score',
            value: `${formatScore(inspection.normScore)} (raw ${inspection.rawScore.toFixed(3)})`,
            mono: true,
            testId: 'detail-score',
          },
          { label: 'Inspected', value: formatTime(inspection.at), mono: true },
          { label: 'Model', value: `${inspection.modelId} · v${inspection.modelVersion}`, mono: true },
          ...(inspection.productId ? [{ label: 'Product', value: inspection.productId, mono: true }] : []),
          {
            label: 'Source',
            value: `${inspection.source}${inspection.frameId ? ` · frame ${inspection.frameId}` : ''}`,
            mono: true,
          },
          // Frame ids restart with every start of the line; the run and the source's own name do not.
          ...(inspection.runId !== null || inspection.sourceRef
            ? [
                {
                  label: 'Run · file',
                  value: `${inspection.runId !== null ? `run ${inspection.runId}` : '—'}${inspection.sourceRef ? ` · ${inspection.sourceRef}` : ''}`,
                  mono: true,
                  testId: 'detail-trace',
                },
              ]
            : []),
        ]}
      />
      <div className="detail-actions">
        <SaveGoodButton inspectionId={inspection.id} from="review" testId="review-save-good" />
      </div>
      {inspection.verdict === 'PASS' ? (
        <Notice tone="info" title="This part passed">
          Only FAIL and REVIEW parts take a QA decision.
        </Notice>
      ) : (
        <DecisionForm
          idPrefix=""
          draft={draft}
          onDraft={setDraft}
          decided={decided}
          busy={busy}
          onDecide={(d) => void decide(d)}
          message={message}
          shortcuts
          reasonRef={reasonRef}
        />
      )}
      <h3 className="subhead">Decisions</h3>
      {decisions.length === 0 ? (
        <p className="muted" data-testid="decision-history">
          Not reviewed yet.
        </p>
      ) : (
        <ul className="decision-list" data-testid="decision-history">
          {decisions
            .slice()
            .reverse()
            .map((d) => (
              <li key={d.id}>
                <DecisionTag review={d} /> <span className="mono small">{formatTime(d.decidedAt)}</span> by{' '}
                <strong>{d.reviewer}</strong>
                {d.defectType ? <> · type {d.defectType}</> : null}
                {d.reason ? <> · “{d.reason}”</> : null}
              </li>
            ))}
        </ul>
      )}
    </Card>
  );
}

function ImageTriptych({ inspection }: { inspection: InspectionDto }) {
  const image = useStoreImage(inspection.imageRef);
  const heat = useStoreImage(inspection.heatmapRef);
  const zoom = useZoom();
  const missing = !inspection.imageRef
    ? inspection.storeError
      ? `Image not stored: ${inspection.storeError}`
      : inspection.evictedAt
        ? `Image removed by retention on ${formatTime(inspection.evictedAt)}`
        : 'No image stored for this part.'
    : null;
  return (
    <>
      {image.url ? <ZoomControls zoom={zoom} /> : null}
      <div className="triptych" data-testid="review-images">
        <figure>
          {image.url ? (
            <ZoomViewport zoom={zoom} testId="review-image-view">
              <img
                src={image.url}
                alt={`Part #${inspection.id}`}
                data-testid="review-image"
                draggable={false}
              />
            </ZoomViewport>
          ) : (
            <Placeholder text={missing ?? (image.error ? describeError(image.error) : 'Loading…')} />
          )}
          <figcaption>Image</figcaption>
        </figure>
        <figure>
          {inspection.heatmapFit?.imageLevel ? (
            <div className="img-placeholder">
              <NoHeatmap testId="review-no-heatmap" />
            </div>
          ) : heat.url ? (
            <ZoomViewport zoom={zoom} testId="review-heatmap-view">
              <img
                src={heat.url}
                alt={`Heatmap of part #${inspection.id}`}
                data-testid="review-heatmap"
                draggable={false}
              />
            </ZoomViewport>
          ) : (
            <Placeholder
              text={
                heat.error
                  ? describeError(heat.error)
                  : inspection.heatmapRef
                    ? 'Loading…'
                    : 'No heatmap stored.'
              }
            />
          )}
          <figcaption>
            {inspection.heatmapFit?.imageLevel
              ? 'Heatmap and overlay'
              : 'Heatmap (blue normal → red at FAIL)'}
          </figcaption>
        </figure>
        {inspection.heatmapFit?.imageLevel ? null : (
          <figure>
            {image.url && heat.url ? (
              <ZoomViewport zoom={zoom} testId="review-overlay-view">
                <Overlay image={image.url} heat={heat.url} fit={inspection.heatmapFit} />
              </ZoomViewport>
            ) : (
              <Placeholder text="—" />
            )}
            <figcaption>Overlay</figcaption>
          </figure>
        )}
      </div>
    </>
  );
}

function Overlay({ image, heat, fit }: { image: string; heat: string; fit: HeatmapFit | null }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let live = true;
    void Promise.all([loadImage(image), loadImage(heat)]).then(
      ([img, h]) => {
        if (live && ref.current) composeOverlay(ref.current, img, fadeLowValues(h), fit, 0.75);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [image, heat, fit]);
  return <canvas ref={ref} data-testid="review-overlay" aria-label="Image with heatmap overlay" />;
}

function Placeholder({ text }: { text: string }) {
  return <div className="img-placeholder">{text}</div>;
}

function CandidatesCard() {
  const { client } = useStation();
  const { settings } = useSettings();
  const list = useApi('candidates.list', { limit: 8 });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEvent('review.recorded', () => list.reload());
  const data = list.data;
  const exportNow = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await client.call('candidates.export', { actor: settings?.operatorName || 'operator' });
      setMessage({
        ok: true,
        text: `Copied ${r.copied} image${r.copied === 1 ? '' : 's'} to ${r.folder}${r.alreadyThere ? ` (${r.alreadyThere} already there)` : ''}${r.missingImage ? `; ${r.missingImage} without a stored image` : ''}.`,
      });
      list.reload();
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title="Retraining candidates"
      testId="candidates"
      aside={
        <Pill tone="info" testId="candidates-total">
          {data ? `${formatCount(data.total)} false alarm${data.total === 1 ? '' : 's'}` : '…'}
        </Pill>
      }
    >
      <p className="hint">
        Parts judged “false alarm” look good to QA but not to the model: adding them to the next training set
        teaches it that they are normal.
      </p>
      {data && data.rows.length > 0 ? (
        <ul className="candidate-list" data-testid="candidate-list">
          {data.rows.map((c) => (
            <li key={c.decisionId}>
              <span className="mono">#{c.inspectionId}</span>
              <span className="mono small">{formatScore(c.normScore)}</span>
              <span className="clip small" title={c.reason ?? ''}>
                {c.reason ?? '—'}
              </span>
              {c.exportedAs ? <Pill tone="ok">copied</Pill> : <Pill tone="neutral">not copied</Pill>}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No false alarms recorded yet.</p>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          disabled={busy || !data || data.total === 0}
          onClick={() => void exportNow()}
          data-testid="candidates-export"
        >
          Copy to good-candidates folder
        </button>
      </div>
      {message ? (
        <p
          className={message.ok ? 'ok-text small' : 'field-error'}
          data-testid="candidates-message"
          role="status"
        >
          {message.text}
        </p>
      ) : null}
      {data ? <p className="muted small mono">{data.folder}</p> : null}
    </Card>
  );
}
