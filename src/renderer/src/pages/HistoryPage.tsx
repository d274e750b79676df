import { ModelTimeFields } from '../components/ModelTimeFields';
import {
  useEffect,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type PointerEvent,
} from 'react';
import type {
  InspectionCursorDto,
  InspectionDto,
  InspectionFilterInput,
  ScoreHistogram,
  WhatIfResult,
  YieldOverTime,
} from '@shared/api';
import type { Thresholds, Verdict } from '@shared/station';
import { Card } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatCount, formatTime } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';
import { navigate } from '../hooks/route';
import { useStoreImage } from '../hooks/useStoreImage';
import { SaveGoodButton } from '../components/SaveGoodDialog';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import {
  EMPTY_FORM,
  filterQuery,
  formatMs,
  formatScore,
  isoToLocalInput,
  percent,
  toFilter,
  type FilterForm,
} from '../lib/filters';
import { describeError } from '../transport';

const PAGE_SIZE = 50;

export function HistoryPage() {
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [filter, setFilter] = useState<InspectionFilterInput>({});
  // Bumped by new results so charts follow the line without reloading on every frame.
  const [refresh, setRefresh] = useState(0);
  const apply = (next: FilterForm) => {
    setForm(next);
    setFilter(toFilter(next));
  };
  const models = useApi('inspections.models', {});
  const products = useApi('products.list', {});
  const modelIds = (models.data ?? []).map((m) => m.modelId);
  // What-if re-judges one model's scores: the filter's model, or the only model there is.
  const scopeModel = filter.modelId ?? (modelIds.length === 1 ? modelIds[0] : null);

  return (
    <Page
      id="history"
      title="History"
      subtitle="Every inspected part: search, export, and see how other thresholds would have judged them."
      actions={<ExportButton filter={filter} />}
    >
      <FilterCard
        key={JSON.stringify(form)}
        form={form}
        models={modelIds}
        products={(products.data?.products ?? []).map((p) => ({ id: p.id, name: p.name }))}
        onApply={apply}
        onRefresh={() => setRefresh((n) => n + 1)}
      />
      <div className="grid-2 history-charts">
        <WhatIfCard
          filter={filter}
          refresh={refresh}
          scopeModel={scopeModel}
          models={modelIds}
          onPickModel={(modelId) => apply({ ...form, modelId })}
        />
        <YieldCard
          filter={filter}
          refresh={refresh}
          productName={
            filter.productId
              ? (products.data?.products.find((p) => p.id === filter.productId)?.name ?? filter.productId)
              : null
          }
          productCount={products.data?.products.length ?? 0}
        />
      </div>
      <InspectionTable filter={filter} refresh={refresh} />
    </Page>
  );
}

function FilterCard({
  form,
  models,
  products,
  onApply,
  onRefresh,
}: {
  form: FilterForm;
  models: string[];
  products: Array<{ id: string; name: string }>;
  onApply: (f: FilterForm) => void;
  onRefresh: () => void;
}) {
  const [draft, setDraft] = useState(form);
  const toggle = (v: Verdict) =>
    setDraft((d) => ({
      ...d,
      verdicts: d.verdicts.includes(v) ? d.verdicts.filter((x) => x !== v) : [...d.verdicts, v],
    }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  const lastHour = () => {
    const next = { ...draft, from: isoToLocalInput(new Date(Date.now() - 3_600_000).toISOString()), to: '' };
    setDraft(next);
    onApply(next);
  };
  return (
    <Card title="Filter" testId="history-filter">
      <form className="filter-bar" onSubmit={submit}>
        <fieldset className="verdict-checks">
          <legend>Verdict</legend>
          {(['PASS', 'REVIEW', 'FAIL'] as const).map((v) => (
            <label key={v} className={`vcheck vcheck-${v.toLowerCase()}`}>
              <input
                type="checkbox"
                checked={draft.verdicts.includes(v)}
                onChange={() => toggle(v)}
                data-testid={`hf-${v}`}
              />
              {v}
            </label>
          ))}
        </fieldset>
        <label className="mini-field">
          Product
          <select
            value={draft.productId}
            onChange={(e) => setDraft({ ...draft, productId: e.target.value })}
            data-testid="hf-product"
          >
            <option value="">All products</option>
            {products.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <ModelTimeFields
          value={draft}
          onChange={(patch) => setDraft({ ...draft, ...patch })}
          models={models}
          testIdPrefix="hf"
        />
        <label className="mini-field narrow">
          Score ≥
          <input
            inputMode="decimal"
            value={draft.minScore}
            onChange={(e) => setDraft({ ...draft, minScore: e.target.value })}
            data-testid="hf-min"
          />
        </label>
        <label className="mini-field narrow">
          Score ≤
          <input
            inputMode="decimal"
            value={draft.maxScore}
            onChange={(e) => setDraft({ ...draft, maxScore: e.target.value })}
            data-testid="hf-max"
          />
        </label>
        <label className="mini-field">
          Reviewed
          <select
            value={draft.reviewed}
            onChange={(e) => setDraft({ ...draft, reviewed: e.target.value as FilterForm['reviewed'] })}
            data-testid="hf-reviewed"
          >
            <option value="any">Any</option>
            <option value="yes">Reviewed</option>
            <option value="no">Not reviewed</option>
          </select>
        </label>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary" data-testid="hf-apply">
            Apply
          </button>
          <button type="button" className="btn" onClick={lastHour}>
            Last hour
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setDraft(EMPTY_FORM);
              onApply(EMPTY_FORM);
            }}
          >
            Clear
          </button>
          <button type="button" className="btn" onClick={onRefresh} title="Reload with the newest parts">
            <Icon name="refresh" />
          </button>
        </div>
      </form>
    </Card>
  );
}

/**
 * CSV of exactly the filtered set. The browser streams it from the server (no size limit); the
 * Electron window has no HTTP server, so it pulls keyset chunks over IPC and saves a Blob.
 */
function ExportButton({ filter }: { filter: InspectionFilterInput }) {
  const station = useStation();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (station.mode === 'browser') {
    const q = filterQuery(filter);
    return (
      <a
        className="btn btn-primary"
        href={`/api/export/inspections.csv${q ? `?${q}` : ''}`}
        download
        data-testid="export-csv"
      >
        Export CSV
      </a>
    );
  }
  const run = async () => {
    setError(null);
    const parts: string[] = [];
    let after: InspectionCursorDto | undefined;
    let rows = 0;
    try {
      for (;;) {
        const chunk = await station.client.call('inspections.exportCsv', {
          filter,
          limit: 5000,
          ...(after ? { after } : {}),
        });
        parts.push(chunk.csv);
        rows += chunk.rows;
        setBusy(`${formatCount(rows)} rows…`);
        if (!chunk.next) break;
        after = chunk.next;
      }
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `inspections-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <span className="export">
      {error ? <span className="field-error">{describeError(error)}</span> : null}
      <button
        type="button"
        className="btn btn-primary"
        disabled={busy !== null}
        onClick={() => void run()}
        data-testid="export-csv"
      >
        {busy ? `Exporting ${busy}` : 'Export CSV'}
      </button>
    </span>
  );
}

function WhatIfCard({
  filter,
  refresh,
  scopeModel,
  models,
  onPickModel,
}: {
  filter: InspectionFilterInput;
  refresh: number;
  /** The one model whose parts are shown; null when the filter spans several. */
  scopeModel: string | null;
  models: string[];
  onPickModel: (modelId: string) => void;
}) {
  const { client } = useStation();
  const state = useApi('station.state', {});
  const versions = useApi('models.list', {});
  useEvent('station.state', () => state.reload());
  const liveModel = state.data?.model ?? null;
  const isLive = scopeModel !== null && liveModel?.id === scopeModel;
  // The thresholds the shown parts are judged against now: the line's for the live model, else the
  // version's own. Never one model's thresholds on another model's scores.
  const current: Thresholds | null = isLive
    ? liveModel.thresholds
    : (versions.data?.versions.find((v) => v.id === scopeModel)?.thresholds ?? null);
  const include = current ? [current.t1, current.t2] : [];
  // Extreme FAILs go into the last bin, so the region around the thresholds keeps its width.
  const hist = useApi(
    'inspections.histogram',
    current
      ? { filter, bins: 60, include, max: round3(Math.max(current.t2 * 2.5, current.t2 + 1)) }
      : { filter, bins: 60, include },
  );
  const [dragged, setDragged] = useState<{ model: string | null; t: Thresholds } | null>(null);
  const moved = dragged && dragged.model === scopeModel ? dragged.t : null;
  const base: Thresholds | null =
    current ?? (hist.data && hist.data.maxScore !== null ? guess(hist.data) : null);
  const t = scopeModel ? (moved ?? base) : null;

  // Exact counts from the server, at most every 120 ms while a handle moves.
  const [whatIf, setWhatIf] = useState<{ key: string; data: WhatIfResult } | null>(null);
  const [whatIfError, setWhatIfError] = useState<unknown>(null);
  const key = t ? `${JSON.stringify(filter)}|${scopeModel}|${t.t1}|${t.t2}|${refresh}` : '';
  useEffect(() => {
    if (!t || !scopeModel) return;
    let live = true;
    const timer = setTimeout(() => {
      client
        .call('inspections.whatIf', { filter: { ...filter, modelId: scopeModel }, t1: t.t1, t2: t.t2 })
        .then(
          (data) => {
            if (live) {
              setWhatIf({ key, data });
              setWhatIfError(null);
            }
          },
          (err: unknown) => live && setWhatIfError(err),
        );
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // t is represented by key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key]);

  useEffect(() => {
    hist.reload();
    // Only a refresh request reloads; the filter change is handled by useApi itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh]);

  return (
    <Card
      title="Score histogram · threshold what-if"
      testId="history-whatif"
      aside={
        moved && current ? (
          <button type="button" className="btn" onClick={() => setDragged(null)} data-testid="whatif-reset">
            {isLive ? 'Reset to line thresholds' : "Reset to the model's thresholds"}
          </button>
        ) : null
      }
    >
      {hist.error ? <ErrorNotice error={hist.error} what="the histogram" onRetry={hist.reload} /> : null}
      {!hist.data ? (
        <Loading what="the histogram" />
      ) : hist.data.total === 0 ? (
        <p className="muted">No parts match the filter.</p>
      ) : !scopeModel ? (
        <div data-testid="whatif-all-models">
          <Notice tone="info" title="What-if needs one model">
            &ldquo;All models&rdquo; is selected: the {formatCount(hist.data.total)} parts were scored by{' '}
            {models.length} models, each on its own scale, so one pair of thresholds cannot re-judge them all.
            Choose a model:
          </Notice>
          <div className="form-actions whatif-models">
            {models.slice(0, 8).map((m) => (
              <button
                key={m}
                type="button"
                className="btn"
                onClick={() => onPickModel(m)}
                data-testid={`whatif-pick-${m}`}
              >
                {m}
              </button>
            ))}
          </div>
        </div>
      ) : t ? (
        <>
          <Histogram hist={hist.data} t={t} onChange={(next) => setDragged({ model: scopeModel, t: next })} />
          <p className="hint">
            Drag <strong>T1</strong> and <strong>T2</strong> (or focus a handle and use ← →) to see how the{' '}
            {formatCount(hist.data.total)} parts of <span className="mono">{scopeModel}</span> shown would
            have been judged. Bars are coloured by the verdict they got.
          </p>
          <WhatIfTable
            result={whatIf?.data ?? null}
            stale={whatIf?.key !== key}
            live={isLive ? liveModel.thresholds : null}
          />
          {whatIfError ? <p className="field-error">{describeError(whatIfError)}</p> : null}
          <ApplyThresholds
            modelId={scopeModel}
            liveModelId={liveModel?.id ?? null}
            t={t}
            current={current}
            result={whatIf?.key === key ? whatIf.data : null}
            onApplied={() => {
              setDragged(null);
              state.reload();
            }}
          />
        </>
      ) : null}
    </Card>
  );
}

/** "Apply these thresholds" to the line, for the model they were chosen on only (signed, audited). */
function ApplyThresholds({
  modelId,
  liveModelId,
  t,
  current,
  result,
  onApplied,
}: {
  modelId: string;
  liveModelId: string | null;
  t: Thresholds;
  current: Thresholds | null;
  result: WhatIfResult | null;
  onApplied: () => void;
}) {
  const { client } = useStation();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  const same = current !== null && current.t1 === t.t1 && current.t2 === t.t2;
  if (liveModelId !== modelId) {
    return (
      <p className="hint" data-testid="whatif-apply-unavailable">
        {liveModelId
          ? `The line runs ${liveModelId}, not ${modelId}: these thresholds can only be applied while ${modelId} is live.`
          : 'No model runs on the line, so there is nothing to apply these thresholds to.'}
      </p>
    );
  }
  const apply = async () => {
    setBusy(true);
    setOutcome(null);
    const basis = result
      ? ` (History what-if over ${result.total} parts: ${result.changed} would change)`
      : ' (History what-if)';
    try {
      const applied = await client.call('station.setThresholds', {
        t1: t.t1,
        t2: t.t2,
        modelId,
        actor: 'engineer',
        reason: `${reason.trim()}${basis}`,
      });
      setOutcome({
        tone: 'ok',
        text: `The line now judges with T1 ${formatScore(applied.t1)} / T2 ${formatScore(applied.t2)}; recorded in the audit trail.`,
      });
      setReason('');
      onApplied();
    } catch (err) {
      setOutcome({ tone: 'bad', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="whatif-apply"
      onSubmit={(e: FormEvent) => e.preventDefault()}
      aria-label="Apply thresholds"
    >
      <label className="mini-field">
        Reason
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="why these thresholds"
          data-testid="whatif-apply-reason"
        />
      </label>
      <button
        type="button"
        className="btn btn-primary"
        disabled={busy || same || !reason.trim()}
        onClick={() => void apply()}
        data-testid="whatif-apply"
        title={same ? 'These are the thresholds the line uses now' : undefined}
      >
        {busy ? 'Applying…' : `Apply T1 ${formatScore(t.t1)} / T2 ${formatScore(t.t2)} to the line`}
      </button>
      {outcome ? (
        <Notice
          tone={outcome.tone}
          title={outcome.tone === 'ok' ? 'Applied' : 'Not applied'}
          testId="whatif-apply-result"
        >
          {outcome.text}
        </Notice>
      ) : null}
    </form>
  );
}

function guess(h: ScoreHistogram): Thresholds {
  const span = h.hi - h.lo;
  return { t1: round3(h.lo + span * 0.5), t2: round3(h.lo + span * 0.7) };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

const HW = 760;
const HH = 230;
const PADL = 44;
const PADR = 14;
const PADT = 26;
const PADB = 30;

function Histogram({
  hist,
  t,
  onChange,
}: {
  hist: ScoreHistogram;
  t: Thresholds;
  onChange: (t: Thresholds) => void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<'t1' | 't2' | null>(null);
  const max = Math.max(1, ...hist.bins.map((b) => b.pass + b.review + b.fail));
  const x = (v: number) => PADL + ((v - hist.lo) / (hist.hi - hist.lo)) * (HW - PADL - PADR);
  const y = (n: number) => HH - PADB - (n / max) * (HH - PADT - PADB);
  const clampV = (v: number) => Math.min(hist.hi, Math.max(hist.lo, v));

  const valueAt = (clientX: number): number => {
    const r = svg.current?.getBoundingClientRect();
    if (!r || r.width === 0) return t.t1;
    const px = ((clientX - r.left) / r.width) * HW;
    return round3(clampV(hist.lo + ((px - PADL) / (HW - PADL - PADR)) * (hist.hi - hist.lo)));
  };
  const set = (which: 't1' | 't2', v: number) => {
    // The handles cannot cross: T1 ≤ T2 is the station's rule too.
    if (which === 't1') onChange({ t1: Math.min(v, t.t2), t2: t.t2 });
    else onChange({ t1: t.t1, t2: Math.max(v, t.t1) });
  };
  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    if (drag) set(drag, valueAt(e.clientX));
  };
  const onKey = (which: 't1' | 't2') => (e: KeyboardEvent<SVGGElement>) => {
    const step = hist.binWidth / (e.shiftKey ? 1 : 4);
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      set(which, round3(clampV(t[which] + (e.key === 'ArrowLeft' ? -step : step))));
    }
  };
  const ticks = niceTicks(hist.lo, hist.hi, 8);

  return (
    <svg
      ref={svg}
      className={drag ? 'histogram dragging' : 'histogram'}
      viewBox={`0 0 ${HW} ${HH}`}
      data-testid="histogram"
      onPointerMove={onMove}
      onPointerUp={() => setDrag(null)}
      onPointerLeave={() => setDrag(null)}
      role="group"
      aria-label="Score histogram with draggable thresholds"
    >
      <rect
        x={PADL}
        y={PADT}
        width={Math.max(0, x(t.t1) - PADL)}
        height={HH - PADT - PADB}
        className="hz-pass"
      />
      <rect
        x={x(t.t1)}
        y={PADT}
        width={Math.max(0, x(t.t2) - x(t.t1))}
        height={HH - PADT - PADB}
        className="hz-review"
      />
      <rect
        x={x(t.t2)}
        y={PADT}
        width={Math.max(0, HW - PADR - x(t.t2))}
        height={HH - PADT - PADB}
        className="hz-fail"
      />
      {[0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PADL} x2={HW - PADR} y1={y(max * f)} y2={y(max * f)} className="grid-line" />
          <text x={PADL - 6} y={y(max * f) + 4} textAnchor="end" className="axis-label">
            {Math.round(max * f)}
          </text>
        </g>
      ))}
      {hist.bins.map((b, i) => {
        const bx = x(b.lo) + 0.5;
        const bw = Math.max(1, x(b.hi) - x(b.lo) - 1);
        let top = HH - PADB;
        const seg = (n: number, cls: string) => {
          if (n === 0) return null;
          const h = (n / max) * (HH - PADT - PADB);
          top -= h;
          return <rect x={bx} y={top} width={bw} height={h} className={cls} />;
        };
        return (
          <g key={i}>
            <title>{`${b.lo.toFixed(2)} – ${b.hi.toFixed(2)}: ${b.pass} PASS, ${b.review} REVIEW, ${b.fail} FAIL`}</title>
            {seg(b.pass, 'bar-pass')}
            {seg(b.review, 'bar-review')}
            {seg(b.fail, 'bar-fail')}
          </g>
        );
      })}
      <line x1={PADL} x2={HW - PADR} y1={HH - PADB} y2={HH - PADB} className="axis-line" />
      {ticks.map((v) => (
        <text key={v} x={x(v)} y={HH - PADB + 16} textAnchor="middle" className="axis-label">
          {v.toFixed(ticks.length > 1 && ticks[1] - ticks[0] < 0.1 ? 2 : 1)}
        </text>
      ))}
      <text x={HW - PADR} y={HH - 2} textAnchor="end" className="axis-label">
        {hist.maxScore !== null && hist.maxScore > hist.hi
          ? `last bar: ≥ ${hist.bins[hist.bins.length - 1].lo.toFixed(2)} · `
          : ''}
        normalised score →
      </text>
      {(['t1', 't2'] as const).map((which) => (
        <g
          key={which}
          className={`handle handle-${which}`}
          data-testid={`handle-${which}`}
          tabIndex={0}
          role="slider"
          aria-label={which === 't1' ? 'T1: REVIEW from' : 'T2: FAIL from'}
          aria-valuenow={t[which]}
          aria-valuemin={hist.lo}
          aria-valuemax={hist.hi}
          onKeyDown={onKey(which)}
          onPointerDown={(e) => {
            e.preventDefault();
            svg.current?.setPointerCapture(e.pointerId);
            setDrag(which);
          }}
        >
          <line x1={x(t[which])} x2={x(t[which])} y1={PADT - 4} y2={HH - PADB} className="handle-line" />
          {/* T1's label hangs left of its line and T2's right, so close thresholds stay legible. */}
          <rect
            x={which === 't1' ? x(t.t1) - 70 : x(t.t2)}
            y={2}
            width={70}
            height={20}
            rx={4}
            className="handle-grip"
          />
          <text
            x={which === 't1' ? x(t.t1) - 35 : x(t.t2) + 35}
            y={16}
            textAnchor="middle"
            className="handle-text"
          >
            {which.toUpperCase()} {t[which].toFixed(2)}
          </text>
          {/* A wide invisible strip so the line is easy to grab with a finger or a mouse. */}
          <rect x={x(t[which]) - 8} y={PADT} width={16} height={HH - PADT - PADB} className="handle-hit" />
        </g>
      ))}
    </svg>
  );
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function WhatIfTable({
  result,
  stale,
  live,
}: {
  result: WhatIfResult | null;
  stale: boolean;
  live: Thresholds | null;
}) {
  if (!result) return <Loading what="what-if counts" />;
  const rows: Array<{ v: Verdict; would: number; was: number }> = [
    { v: 'PASS', would: result.wouldBe.pass, was: result.recorded.pass },
    { v: 'REVIEW', would: result.wouldBe.review, was: result.recorded.review },
    { v: 'FAIL', would: result.wouldBe.fail, was: result.recorded.fail },
  ];
  return (
    <div className={stale ? 'whatif stale' : 'whatif'} data-testid="whatif">
      <table className="table whatif-table">
        <thead>
          <tr>
            <th scope="col">Verdict</th>
            <th scope="col" className="num">
              With T1 {result.thresholds.t1.toFixed(2)} / T2 {result.thresholds.t2.toFixed(2)}
            </th>
            <th scope="col" className="num">
              As judged
            </th>
            <th scope="col" className="num">
              Difference
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.v} data-testid={`whatif-${r.v}`}>
              <td>
                <StatusBadge verdict={r.v} size="sm" />
              </td>
              <td className="num mono whatif-would">
                {formatCount(r.would)} <span className="muted small">({percent(r.would, result.total)})</span>
              </td>
              <td className="num mono">{formatCount(r.was)}</td>
              <td className={`num mono ${r.would - r.was === 0 ? 'muted' : ''}`}>
                {signed(r.would - r.was)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint" data-testid="whatif-changed">
        <strong>{formatCount(result.changed)}</strong> of {formatCount(result.total)} parts would get a
        different verdict.
        {live
          ? ` The line currently runs with T1 ${formatScore(live.t1)} / T2 ${formatScore(live.t2)}; apply the ones you drag to below, or change them on the Live screen (signed and audited).`
          : ''}
      </p>
    </div>
  );
}

function signed(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : '0';
}

function YieldCard({
  filter,
  refresh,
  productName,
  productCount,
}: {
  filter: InspectionFilterInput;
  refresh: number;
  productName: string | null;
  productCount: number;
}) {
  const data = useApi('inspections.yieldOverTime', { filter, bucket: 'auto' });
  useEffect(() => {
    data.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh]);
  return (
    <Card
      title="Yield over time"
      testId="history-yield"
      aside={data.data ? <span className="muted small">per {data.data.bucket}</span> : null}
    >
      {data.error ? <ErrorNotice error={data.error} what="yield over time" onRetry={data.reload} /> : null}
      {!data.data ? (
        <Loading what="yield" />
      ) : data.data.buckets.length === 0 ? (
        <p className="muted">No parts match the filter.</p>
      ) : (
        <YieldChart y={data.data} />
      )}
      <p className="hint" data-testid="yield-scope">
        {productName
          ? `Product ${productName}${filter.modelId ? `, model ${filter.modelId}` : ''}: verdicts as recorded.`
          : productCount > 1
            ? `All ${productCount} products together, each judged by its own model and thresholds; choose a product for one product's yield.`
            : `Verdicts as recorded${filter.modelId ? ` by ${filter.modelId}` : ', each by the model and thresholds live at the time'}.`}
      </p>
    </Card>
  );
}

const YW = 560;
const YH = 230;

function YieldChart({ y }: { y: YieldOverTime }) {
  const buckets = y.buckets.slice(-120);
  const max = Math.max(1, ...buckets.map((b) => b.pass + b.review + b.fail));
  const padL = 40;
  const padR = 40;
  const padT = 14;
  const padB = 34;
  const slot = (YW - padL - padR) / buckets.length;
  const bw = Math.max(2, Math.min(40, slot * 0.75));
  const h = YH - padT - padB;
  const cy = (n: number) => YH - padB - (n / max) * h;
  const py = (p: number) => YH - padB - p * h;
  const points = buckets
    .map((b, i) => {
      const total = b.pass + b.review + b.fail;
      return total ? `${padL + slot * (i + 0.5)},${py(b.pass / total)}` : null;
    })
    .filter(Boolean)
    .join(' ');
  const label = (iso: string) =>
    y.bucket === 'day' ? formatTime(iso).slice(0, 10) : formatTime(iso).slice(5, 16);
  const totals = buckets.reduce(
    (a, b) => ({ pass: a.pass + b.pass, all: a.all + b.pass + b.review + b.fail }),
    { pass: 0, all: 0 },
  );
  return (
    <>
      <svg
        className="yield-chart"
        viewBox={`0 0 ${YW} ${YH}`}
        data-testid="yield-chart"
        role="img"
        aria-label="Parts and yield per time bucket"
      >
        <line x1={padL} x2={YW - padR} y1={YH - padB} y2={YH - padB} className="axis-line" />
        <line x1={padL} x2={YW - padR} y1={py(1)} y2={py(1)} className="grid-line" />
        <text x={padL - 6} y={cy(max) + 4} textAnchor="end" className="axis-label">
          {max}
        </text>
        <text x={YW - padR + 6} y={py(1) + 4} className="axis-label yield-axis">
          100 %
        </text>
        <text x={YW - padR + 6} y={py(0.5) + 4} className="axis-label yield-axis">
          50 %
        </text>
        {buckets.map((b, i) => {
          const cx = padL + slot * (i + 0.5) - bw / 2;
          const total = b.pass + b.review + b.fail;
          let top = YH - padB;
          const seg = (n: number, cls: string) => {
            if (!n) return null;
            const hh = (n / max) * h;
            top -= hh;
            return <rect x={cx} y={top} width={bw} height={hh} className={cls} />;
          };
          return (
            <g key={b.start} data-testid="yield-bucket">
              <title>{`${label(b.start)}: ${total} parts, ${b.pass} PASS, ${b.review} REVIEW, ${b.fail} FAIL — yield ${percent(b.pass, total)}`}</title>
              {seg(b.pass, 'bar-pass')}
              {seg(b.review, 'bar-review')}
              {seg(b.fail, 'bar-fail')}
            </g>
          );
        })}
        {buckets.length > 1 ? <polyline points={points} className="yield-line" /> : null}
        <text x={padL} y={YH - 10} className="axis-label">
          {label(buckets[0].start)}
        </text>
        <text x={YW - padR} y={YH - 10} textAnchor="end" className="axis-label">
          {label(buckets[buckets.length - 1].start)}
        </text>
      </svg>
      <p className="hint">
        Bars: parts per {y.bucket} by verdict. Line: first-pass yield (PASS share, right axis). Overall{' '}
        <strong data-testid="yield-overall">{percent(totals.pass, totals.all)}</strong> of{' '}
        {formatCount(totals.all)} parts.
      </p>
    </>
  );
}

function InspectionTable({ filter, refresh }: { filter: InspectionFilterInput; refresh: number }) {
  // Keyset paging: a stack of cursors; "newer" pops, so it never guesses positions.
  const [state, setState] = useState<{ key: string; cursors: Array<InspectionCursorDto | undefined> }>({
    key: '',
    cursors: [undefined],
  });
  const filterKey = JSON.stringify(filter);
  const cursors = state.key === filterKey ? state.cursors : [undefined];
  const after = cursors[cursors.length - 1];
  const list = useApi(
    'inspections.list',
    after ? { filter, limit: PAGE_SIZE, after } : { filter, limit: PAGE_SIZE },
  );
  const counts = useApi('inspections.histogram', { filter, bins: 5 });
  const onNewest = cursors.length === 1;
  useEvent('review.recorded', () => list.reload());
  useEffect(() => {
    list.reload();
    counts.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh]);
  const page = (next: Array<InspectionCursorDto | undefined>) => setState({ key: filterKey, cursors: next });
  const rows = list.data?.rows ?? [];
  const next = list.data?.next ?? null;
  const [selected, setSelected] = useState<number | null>(null);
  const selectedRow = rows.find((r) => r.id === selected) ?? null;
  const total = counts.data?.total;

  const columns: Array<Column<InspectionDto>> = useMemo(
    () => [
      { key: 'id', header: '#', className: 'col-id num', render: (r) => r.id },
      { key: 'at', header: 'Time', className: 'col-time mono', render: (r) => formatTime(r.at) },
      {
        key: 'verdict',
        header: 'Verdict',
        className: 'col-verdict',
        render: (r) => <StatusBadge verdict={r.verdict} size="sm" />,
      },
      {
        key: 'score',
        header: 'Score',
        className: 'col-score num mono',
        render: (r) => formatScore(r.normScore),
      },
      {
        key: 'model',
        header: 'Model',
        className: 'col-model mono',
        render: (r) => (
          <span className="clip" title={`${r.productId ? `product ${r.productId} · ` : ''}${r.modelId}`}>
            {r.productId ? <span className="muted">{r.productId} · </span> : null}
            {r.modelId} v{r.modelVersion}
          </span>
        ),
      },
      {
        key: 'source',
        header: 'Source / frame',
        className: 'col-source mono',
        render: (r) => (
          <span
            className="clip"
            title={`${r.source}${r.runId !== null ? ` · run ${r.runId}` : ''} · ${r.sourceRef ?? r.frameId ?? ''}`}
          >
            {r.runId !== null ? <span className="muted">run {r.runId} · </span> : null}
            {r.sourceRef ?? r.frameId ?? r.source}
          </span>
        ),
      },
      {
        key: 'latency',
        header: 'Latency',
        className: 'col-latency num mono',
        render: (r) => formatMs(r.latencyMs),
      },
      {
        key: 'review',
        header: 'Review',
        className: 'col-review',
        render: (r) =>
          r.review ? (
            <span
              className={
                r.review.decision === 'false_alarm' ? 'decision-tag false-alarm' : 'decision-tag defect'
              }
              title={`${r.review.reviewer}: ${r.review.reason ?? ''}`}
            >
              {r.review.decision === 'false_alarm'
                ? 'false alarm'
                : `defect${r.review.defectType ? `: ${r.review.defectType}` : ''}`}
            </span>
          ) : r.verdict === 'PASS' ? (
            <span className="muted">—</span>
          ) : (
            <span className="decision-tag open">open</span>
          ),
      },
    ],
    [],
  );

  return (
    <Card
      title="Inspections, newest first"
      testId="history-table-card"
      aside={
        <div className="pager" data-testid="history-pager">
          <span className="muted small" data-testid="history-total">
            Page {cursors.length}
            {total !== undefined ? ` · ${formatCount(total)} matching` : ''}
            {counts.data
              ? ` · ${formatCount(counts.data.counts.pass)} PASS, ${formatCount(counts.data.counts.review)} REVIEW, ${formatCount(counts.data.counts.fail)} FAIL`
              : ''}
          </span>
          <button
            type="button"
            className="btn"
            disabled={onNewest || list.loading}
            onClick={() => page(cursors.slice(0, -1))}
            data-testid="history-newer"
          >
            <Icon name="chevronLeft" /> Newer
          </button>
          <button
            type="button"
            className="btn"
            disabled={next === null || list.loading}
            onClick={() => next && page([...cursors, next])}
            data-testid="history-older"
          >
            Older <Icon name="chevronRight" />
          </button>
        </div>
      }
    >
      {list.error ? <ErrorNotice error={list.error} what="inspections" onRetry={list.reload} /> : null}
      <DataTable
        testId="history-table"
        fixed
        caption="Inspections"
        columns={columns}
        rows={rows}
        rowKey={(r) => r.id}
        selectedKey={selected}
        onRowClick={(r) => setSelected((cur) => (cur === r.id ? null : r.id))}
        empty={list.loading ? 'Loading…' : 'No inspections match the filter.'}
      />
      {selectedRow ? (
        <RowDetail row={selectedRow} onClose={() => setSelected(null)} />
      ) : (
        <p className="muted small table-foot">
          Click a row to see its image, open it in Review or save it as good for the next training.
        </p>
      )}
    </Card>
  );
}

/** The chosen row: its stored image and what can be done with it. */
function RowDetail({ row, onClose }: { row: InspectionDto; onClose: () => void }) {
  const image = useStoreImage(row.imageRef);
  const ref = useRef<HTMLDivElement>(null);
  // Below a 50-row table: bring it into view, or a click on a top row seems to do nothing.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [row.id]);
  return (
    <div className="history-detail" data-testid="history-detail" ref={ref}>
      <div className="history-detail-image">
        {image.url ? (
          <img src={image.url} alt={`Inspection ${row.id}`} data-testid="history-detail-image" />
        ) : (
          <span className="muted small">
            {row.imageRef
              ? image.error
                ? describeError(image.error)
                : 'Loading…'
              : row.evictedAt
                ? `Image removed by retention (${formatTime(row.evictedAt)})`
                : row.storeError
                  ? `Image not stored: ${row.storeError}`
                  : 'Image not kept'}
          </span>
        )}
      </div>
      <div className="history-detail-facts">
        <p>
          <strong>Inspection #{row.id}</strong> <StatusBadge verdict={row.verdict} size="sm" />{' '}
          <span className="mono small">{formatScore(row.normScore)}</span>
        </p>
        <p className="mono small clip" title={row.source}>
          {formatTime(row.at)} · {row.source}
        </p>
        <div className="history-detail-actions">
          <button
            type="button"
            className="btn"
            onClick={() => navigate('review', { id: row.id })}
            data-testid="history-open-review"
          >
            <Icon name="review" /> Open in Review
          </button>
          <SaveGoodButton inspectionId={row.id} from="history" testId="history-save-good" />
          <button type="button" className="btn" onClick={onClose} data-testid="history-detail-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
