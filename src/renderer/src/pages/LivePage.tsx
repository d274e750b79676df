import { NoHeatmap } from '../components/NoHeatmap';
import { SaveGoodButton } from '../components/SaveGoodDialog';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { StationClient } from '@shared/api';
import type { UsbDeviceInfo } from '@shared/devices';
import type {
  RejectEntry,
  ResultSnapshot,
  StationErrorEvent,
  StationState,
  StationStats,
  Thresholds,
} from '@shared/station';
import { Card } from '../components/Card';
import { formatCount, formatTime } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { ScoreBar } from '../components/ScoreBar';
import { Pill, StatusBadge } from '../components/StatusBadge';
import { useSettings } from '../hooks/settings';
import { hrefWith } from '../hooks/route';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { storeImageUrl } from '../hooks/useStoreImage';
import { formatMs, formatScore, percent } from '../lib/filters';
import { base64ToBytes, paintHeatmap, paintLegend } from '../lib/heatmap';
import { readIdleAfterS, verdictView } from '../lib/stale';
import { composeOverlay, loadImage } from '../lib/overlay';
import { describeError } from '../transport';

export function LivePage() {
  const stateApi = useApi('station.state', {});
  const statsApi = useApi('station.stats', {});
  const lastApi = useApi('station.lastResult', {});
  // Events are newer than the initial answers whenever they exist.
  const [pushedState, setPushedState] = useState<StationState | null>(null);
  const [pushedStats, setPushedStats] = useState<StationStats | null>(null);
  const [pushedResult, setPushedResult] = useState<ResultSnapshot | null>(null);
  const [sourceFault, setSourceFault] = useState<StationErrorEvent | null>(null);
  useEvent('station.state', (s) => {
    setPushedState(s);
    if (!s.error) setSourceFault(null);
  });
  useEvent('station.stats', setPushedStats);
  useEvent('station.result', setPushedResult);
  useEvent('source.error', (e) => {
    // Single bad frames are counted in the stats; the banner is for faults that stop inspection.
    if (e.kind === 'source' || e.kind === 'model' || !e.recoverable) setSourceFault(e);
  });

  const state = pushedState ?? stateApi.data ?? null;
  const stats = pushedStats ?? statsApi.data ?? null;
  const result = pushedResult ?? lastApi.data ?? null;
  const running = state?.status === 'running';
  // A pushed frame goes out before its row is written, so it has no inspection id yet; once the
  // line stands still, the station's copy of the same frame has it.
  const resultId =
    result?.inspectionId ??
    (lastApi.data && lastApi.data.frameId === result?.frameId ? lastApi.data.inspectionId : null) ??
    null;
  const reloadLast = lastApi.reload;
  const needId = !running && result !== null && resultId === null;
  useEffect(() => {
    if (!needId) return;
    const t = setTimeout(reloadLast, 600);
    return () => clearTimeout(t);
  }, [needId, reloadLast, result?.frameId]);

  return (
    <Page
      id="live"
      title="Live inspection"
      subtitle="Operator view at the line"
      actions={<StartStop state={state} />}
    >
      <StatusStrip state={state} stats={stats} />
      <CameraBanner />
      <FaultBanner state={state} fault={sourceFault} />
      {stateApi.error ? (
        <ErrorNotice error={stateApi.error} what="the station state" onRetry={stateApi.reload} />
      ) : null}
      <div className="live-grid">
        <FrameView result={result} running={running} inspectionId={running ? null : resultId} />
        <div className="stack">
          <VerdictPanel
            result={result}
            state={state}
            thresholds={state?.model?.thresholds ?? result?.thresholds ?? null}
          />
          <StatsPanel stats={stats} />
        </div>
      </div>
      <RejectStrip rejects={stats?.rejects ?? []} />
      <div className="grid-2">
        <ThresholdForm state={state} />
        <AboutVerdicts />
      </div>
    </Page>
  );
}

function StartStop({ state }: { state: StationState | null }) {
  const { client } = useStation();
  const { settings } = useSettings();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const running = state?.status === 'running';
  const act = async (what: 'start' | 'stop') => {
    setBusy(true);
    setError(null);
    try {
      const actor = settings?.operatorName || undefined;
      if (what === 'start') await client.call('station.start', actor ? { actor } : {});
      else await client.call('station.stop', actor ? { actor } : {});
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="start-stop">
      {error ? (
        <span className="field-error" role="alert">
          {describeError(error)}
        </span>
      ) : null}
      <button
        type="button"
        className="btn btn-go"
        data-testid="live-start"
        disabled={busy || running || state?.status === 'loading'}
        onClick={() => void act('start')}
      >
        <Icon name="live" /> Start
      </button>
      <button
        type="button"
        className="btn btn-stop"
        data-testid="live-stop"
        disabled={busy || !running}
        onClick={() => void act('stop')}
      >
        <Icon name="cross" /> Stop
      </button>
    </div>
  );
}

const STATUS_TONE = {
  idle: 'neutral',
  loading: 'info',
  ready: 'info',
  running: 'ok',
  stopping: 'warn',
  error: 'bad',
} as const;

const SOURCE_TONE = {
  idle: 'neutral',
  running: 'ok',
  waiting: 'info',
  error: 'bad',
  reconnecting: 'warn',
  stopped: 'neutral',
} as const;

/** Source, model and execution provider are always on screen (an operator must know what judges). */
function StatusStrip({ state, stats }: { state: StationState | null; stats: StationStats | null }) {
  const model = state?.model ?? null;
  const source = state?.source ?? null;
  const gpu = model ? model.provider !== 'cpu' : false;
  return (
    <div className="status-strip" data-testid="live-status">
      <div className="status-item">
        <span className="status-label">Station</span>
        <Pill tone={state ? STATUS_TONE[state.status] : 'neutral'} testId="live-station-status">
          {state ? state.status : '…'}
        </Pill>
      </div>
      <div className="status-item grow" title={source?.state.message}>
        <span className="status-label">Source</span>
        {source ? (
          <>
            <Pill tone={SOURCE_TONE[source.state.kind]} testId="live-source-status">
              {source.state.kind}
            </Pill>
            <span className="status-value clip mono" data-testid="live-source" title={source.label}>
              {shortSource(source.label)}
            </span>
          </>
        ) : (
          <span className="status-value muted" data-testid="live-source">
            no source
          </span>
        )}
      </div>
      <div className="status-item" title={model?.dir}>
        <span className="status-label">Model</span>
        <span className="status-value clip mono" data-testid="live-model">
          {model ? `${model.id} · v${model.version} · ${model.method}` : 'none loaded'}
        </span>
      </div>
      <div className="status-item">
        <span className="status-label">Runs on</span>
        {model ? (
          <Pill tone={gpu ? 'ok' : 'info'} testId="live-provider">
            {model.provider.toUpperCase()} {gpu ? '(GPU)' : ''}
          </Pill>
        ) : (
          <span className="status-value muted" data-testid="live-provider">
            —
          </span>
        )}
      </div>
      <div className="status-item">
        <span className="status-label">Since</span>
        <span className="status-value mono">
          {stats?.startedAt ? formatTime(stats.startedAt).slice(11) : '—'}
        </span>
      </div>
    </div>
  );
}

/** "replay:/very/long/path/demo/line" → "replay: …/demo/line": the end of a path is what tells
 *  folders apart; the full label is in the tooltip. */
function shortSource(label: string): string {
  const m = /^(\w+):(.*)$/.exec(label);
  if (!m) return label;
  const parts = m[2].split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `${m[1]}: …/${parts.slice(-2).join('/')}` : label;
}

/**
 * A USB camera that disappears from the bus is announced by the device watcher at once, before
 * the source notices the missing frames; the banner stays until the same camera is back.
 */
function CameraBanner() {
  const [gone, setGone] = useState<UsbDeviceInfo[]>([]);
  useEvent('devices.changed', (e) => {
    if (e.type === 'output' || e.device.kind !== 'camera') return;
    if (e.type === 'detach') setGone((g) => [...g.filter((d) => d.id !== e.device.id), e.device]);
    else setGone((g) => g.filter((d) => d.vidPid !== e.device.vidPid || d.path !== e.device.path));
  });
  if (gone.length === 0) return null;
  return (
    <Notice tone="bad" title="USB camera unplugged" testId="live-camera-gone">
      {gone.map((d) => `${d.product ?? 'camera'} (${d.vidPid}) at USB ${d.path}`).join('; ')} is no longer
      connected. Plug it back in: the source reconnects by itself.
    </Notice>
  );
}

function FaultBanner({ state, fault }: { state: StationState | null; fault: StationErrorEvent | null }) {
  if (!state) return null;
  const src = state.source?.state;
  if (state.error && (state.error.kind === 'model' || state.status === 'error')) {
    return (
      <Notice tone="bad" title="The model cannot be used — parts are NOT being inspected" testId="live-fault">
        {state.error.message}
      </Notice>
    );
  }
  if (src && (src.kind === 'error' || src.kind === 'reconnecting')) {
    return (
      <Notice
        tone="bad"
        title={src.kind === 'reconnecting' ? 'Camera / source lost — reconnecting' : 'Camera / source failed'}
        testId="live-fault"
      >
        {src.message}. No parts are inspected until frames arrive again.
      </Notice>
    );
  }
  if (state.error) {
    return (
      <Notice
        tone={state.error.kind === 'source' ? 'bad' : 'warn'}
        title={faultTitle(state.error.kind)}
        testId="live-fault"
      >
        {state.error.message}
      </Notice>
    );
  }
  if (fault) {
    return (
      <Notice tone="bad" title={faultTitle(fault.kind)} testId="live-fault">
        {fault.message} ({formatTime(fault.at)})
      </Notice>
    );
  }
  if (state.status === 'idle' || state.status === 'ready') {
    return (
      <Notice tone="info" title="The line is stopped — no parts are being inspected" testId="live-stopped">
        Press Start to inspect. {state.model ? `Model ${state.model.id} is loaded and ready.` : state.message}
      </Notice>
    );
  }
  return null;
}

function faultTitle(kind: StationErrorEvent['kind']): string {
  switch (kind) {
    case 'source':
      return 'Camera / source problem';
    case 'model':
      return 'The model cannot be loaded';
    case 'store':
      return 'Images cannot be stored (inspection continues, results are still logged)';
    case 'logging':
      return 'Results cannot be written to the database';
    case 'inference':
      return 'Inference failed';
    case 'corrupt_frame':
      return 'Unreadable frame';
  }
}

/** The newest frame with its heatmap, composed in a canvas at the source's rate. */
function FrameView({
  result,
  running,
  inspectionId,
}: {
  result: ResultSnapshot | null;
  running: boolean;
  /** The shown frame's inspection, once the line stands still (null while it moves on). */
  inspectionId: number | null;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const heatRef = useRef<HTMLCanvasElement | null>(null);
  const frameRef = useRef<HTMLImageElement | null>(null);
  const seq = useRef(0);
  const [overlay, setOverlay] = useState(true);
  const [opacity, setOpacity] = useState(0.6);
  const view = useRef({ overlay, opacity, fit: result?.heatmap?.fit });
  useEffect(() => {
    view.current = { overlay, opacity, fit: result?.heatmap?.fit };
  });

  useEffect(() => {
    if (!result) return;
    const mine = ++seq.current;
    const heat = heatRef.current ?? document.createElement('canvas');
    heatRef.current = heat;
    const hm = result.heatmap;
    const map = hm ? base64ToBytes(hm.base64) : null;
    void loadImage(`data:image/jpeg;base64,${result.image.jpegBase64}`).then(
      (img) => {
        // A newer frame may have decoded first; never draw an older one over it.
        if (mine !== seq.current || !canvasRef.current) return;
        if (hm && map) paintHeatmap(heat, map, hm.width, hm.height, 1);
        // An image-level model: the frame alone, never a stale map of an earlier model.
        heatRef.current = hm ? heat : null;
        frameRef.current = img;
        const v = view.current;
        composeOverlay(canvasRef.current, img, v.overlay && hm ? heat : null, hm?.fit, v.opacity);
      },
      () => undefined,
    );
  }, [result]);

  useEffect(() => {
    // Toggle and opacity apply to the frame on screen at once, not only to the next one.
    if (canvasRef.current && frameRef.current) {
      composeOverlay(
        canvasRef.current,
        frameRef.current,
        overlay ? heatRef.current : null,
        view.current.fit,
        opacity,
      );
    }
  }, [overlay, opacity]);

  return (
    <Card
      title="Current frame"
      testId="live-frame"
      className="frame-card"
      aside={
        result ? (
          <span className="muted small mono" data-testid="live-frame-name">
            {result.name ?? result.frameId} · {formatTime(result.at).slice(11)}
            {running ? '' : ' · stopped'}
          </span>
        ) : null
      }
    >
      <div className="frame-view">
        {result ? (
          <canvas
            ref={canvasRef}
            className="frame-canvas"
            data-testid="live-canvas"
            aria-label="Current frame with heatmap"
          />
        ) : (
          <div className="frame-empty" data-testid="live-no-frame">
            No frame inspected yet. {running ? 'Waiting for the source…' : 'Start the line to inspect parts.'}
          </div>
        )}
      </div>
      <div className="frame-tools">
        {result && !result.heatmap ? (
          // An image-level model has no map: no overlay controls that would do nothing.
          <NoHeatmap testId="live-no-heatmap" />
        ) : (
          <>
            <label className="check">
              <input
                type="checkbox"
                checked={overlay}
                onChange={(e) => setOverlay(e.target.checked)}
                data-testid="overlay-toggle"
              />
              Heatmap overlay
            </label>
            <label className="range">
              Opacity
              <input
                type="range"
                min={0.1}
                max={1}
                step={0.05}
                value={opacity}
                disabled={!overlay}
                onChange={(e) => setOpacity(Number(e.target.value))}
                data-testid="overlay-opacity"
              />
              <span className="mono small">{Math.round(opacity * 100)} %</span>
            </label>
            <Legend rangeMax={result?.heatmap?.rangeMax ?? null} />
          </>
        )}
        <SaveGoodButton
          inspectionId={inspectionId}
          from="live"
          label="Save this frame as good…"
          disabledReason={
            !result
              ? 'No frame yet'
              : running
                ? 'The frame changes several times a second: stop the line, or pick a part in Recent rejects'
                : 'This frame is still being logged'
          }
        />
      </div>
    </Card>
  );
}

function Legend({ rangeMax }: { rangeMax: number | null }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) paintLegend(ref.current);
  }, []);
  return (
    <div
      className="legend"
      data-testid="heat-legend"
      title={rangeMax !== null ? `Full colour = raw map value ${rangeMax.toFixed(3)}` : undefined}
    >
      <span className="legend-end">normal</span>
      <canvas ref={ref} className="legend-bar" aria-hidden="true" />
      <span className="legend-end">at FAIL (T2)</span>
    </div>
  );
}

function VerdictPanel({
  result,
  state,
  thresholds,
}: {
  result: ResultSnapshot | null;
  state: StationState | null;
  thresholds: Thresholds | null;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const view = verdictView(result, state, now, readIdleAfterS());
  return (
    <Card title="Verdict" testId="live-verdict" className="verdict-card">
      <div className="verdict-big" data-testid="live-verdict-value">
        {result && view.kind === 'verdict' ? (
          <StatusBadge verdict={result.verdict} size="xl" />
        ) : view.kind !== 'verdict' ? (
          <span className={`verdict-none verdict-${view.kind}`} data-testid="live-verdict-stale">
            {view.text}
          </span>
        ) : (
          <span className="verdict-none">—</span>
        )}
      </div>
      {result && view.kind !== 'verdict' ? (
        <p className="muted small" data-testid="live-last-verdict">
          Last part: {result.verdict} at {formatTime(result.at).slice(11)}
        </p>
      ) : null}
      <div className="score-row">
        <span className="muted">Score</span>
        <span className="score-value mono" data-testid="live-score">
          {formatScore(result?.normScore)}
        </span>
        <span className="muted small">latency {formatMs(result?.latencyMs)}</span>
      </div>
      <ScoreBar score={result?.normScore ?? null} thresholds={thresholds} />
    </Card>
  );
}

function Tile({
  label,
  value,
  testId,
  tone,
}: {
  label: string;
  value: string;
  testId: string;
  tone?: string;
}) {
  return (
    <div className={tone ? `tile tile-${tone}` : 'tile'} data-testid={testId}>
      <span className="tile-label">{label}</span>
      <span className="tile-value mono">{value}</span>
    </div>
  );
}

function StatsPanel({ stats }: { stats: StationStats | null }) {
  const y = stats?.yield ?? { pass: 0, review: 0, fail: 0 };
  const total = y.pass + y.review + y.fail;
  return (
    <Card title="Cycle and yield" testId="live-stats">
      <div className="tiles">
        <Tile label="Frames / s" value={stats ? stats.fps.toFixed(1) : '—'} testId="stat-fps" />
        <Tile label="Latency mean" value={formatMs(stats?.latencyMs.mean)} testId="stat-mean" />
        <Tile label="Latency p95" value={formatMs(stats?.latencyMs.p95)} testId="stat-p95" />
        <Tile label="Worst cycle" value={formatMs(stats?.latencyMs.worst)} testId="stat-worst" />
        <Tile
          label="Overruns"
          value={stats ? formatCount(stats.overruns) : '—'}
          testId="stat-overruns"
          tone={stats && stats.overruns > 0 ? 'warn' : undefined}
        />
        <Tile
          label="Inspected"
          value={stats ? formatCount(stats.framesInspected) : '—'}
          testId="stat-inspected"
        />
      </div>
      <div className="yield-row" data-testid="stat-yield">
        <div className="yield-cell yield-pass">
          <span>PASS</span>
          <strong className="mono">{formatCount(y.pass)}</strong>
        </div>
        <div className="yield-cell yield-review">
          <span>REVIEW</span>
          <strong className="mono">{formatCount(y.review)}</strong>
        </div>
        <div className="yield-cell yield-fail">
          <span>FAIL</span>
          <strong className="mono">{formatCount(y.fail)}</strong>
        </div>
        <div className="yield-cell yield-total">
          <span>Yield</span>
          <strong className="mono" data-testid="stat-yield-pct">
            {percent(y.pass, total)}
          </strong>
        </div>
      </div>
      {stats && (stats.storeErrors > 0 || stats.corruptFrames > 0 || stats.inferenceErrors > 0) ? (
        <p className="hint">
          {stats.corruptFrames} unreadable frames · {stats.inferenceErrors} inference errors ·{' '}
          {stats.storeErrors} image store errors
        </p>
      ) : null}
    </Card>
  );
}

const thumbCache = new Map<number, Promise<string | null>>();

function rejectThumb(client: StationClient, id: number): Promise<string | null> {
  let hit = thumbCache.get(id);
  if (!hit) {
    hit = client
      .call('inspections.get', { id })
      .then((d) => (d.inspection.imageRef ? storeImageUrl(client, d.inspection.imageRef) : null))
      .catch(() => null);
    thumbCache.set(id, hit);
    if (thumbCache.size > 200) thumbCache.delete(thumbCache.keys().next().value as number);
  }
  return hit;
}

function RejectStrip({ rejects }: { rejects: RejectEntry[] }) {
  return (
    <Card
      title="Recent rejects"
      testId="live-rejects"
      aside={<span className="muted small">Click one to open it in Review; “Good…” saves it as good</span>}
    >
      {rejects.length === 0 ? (
        <p className="muted" data-testid="rejects-empty">
          No FAIL or REVIEW parts since the line started.
        </p>
      ) : (
        <ol className="reject-strip">
          {rejects.slice(0, 12).map((r) => (
            <li key={r.inspectionId}>
              <RejectCard entry={r} />
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function RejectCard({ entry }: { entry: RejectEntry }) {
  const { client } = useStation();
  const [thumb, setThumb] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void rejectThumb(client, entry.inspectionId).then((url) => live && setThumb(url));
    return () => {
      live = false;
    };
  }, [client, entry.inspectionId]);
  return (
    <div className={`reject reject-${entry.verdict.toLowerCase()}`} data-testid="reject-item">
      <a
        className="reject-link"
        href={hrefWith('review', { id: entry.inspectionId })}
        title={`Inspection #${entry.inspectionId} — open in Review`}
      >
        {thumb ? (
          <img src={thumb} alt="" className="reject-img" />
        ) : (
          <span className="reject-img reject-img-empty" />
        )}
        <span className="reject-meta">
          <StatusBadge verdict={entry.verdict} size="sm" />
          <span className="mono small">{entry.normScore.toFixed(2)}</span>
        </span>
        <span className="muted small mono">{formatTime(entry.at).slice(11)}</span>
      </a>
      <SaveGoodButton
        inspectionId={entry.inspectionId}
        from="live"
        small
        label="Good…"
        testId="reject-save-good"
      />
    </div>
  );
}

function ThresholdForm({ state }: { state: StationState | null }) {
  const { client } = useStation();
  const { settings } = useSettings();
  const current = state?.model?.thresholds ?? null;
  const [t1, setT1] = useState('');
  const [t2, setT2] = useState('');
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    if (!current) return;
    const n1 = t1 === '' ? current.t1 : Number(t1);
    const n2 = t2 === '' ? current.t2 : Number(t2);
    if (!reason.trim()) {
      setMessage({ ok: false, text: 'A reason is required: threshold changes are audited.' });
      return;
    }
    if (!Number.isFinite(n1) || !Number.isFinite(n2) || n1 > n2) {
      setMessage({ ok: false, text: 'T1 and T2 must be numbers with T1 ≤ T2.' });
      return;
    }
    setBusy(true);
    try {
      const next = await client.call('station.setThresholds', {
        t1: n1,
        t2: n2,
        actor: settings?.operatorName || 'operator',
        reason: reason.trim(),
      });
      setMessage({
        ok: true,
        text: `Thresholds now T1 ${formatScore(next.t1)}, T2 ${formatScore(next.t2)} (audited).`,
      });
      setT1('');
      setT2('');
      setReason('');
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Thresholds" testId="live-thresholds">
      {current ? (
        <form className="form" onSubmit={(e) => void submit(e)}>
          <p className="hint">
            Now: T1{' '}
            <strong className="mono" title={String(current.t1)}>
              {formatScore(current.t1)}
            </strong>{' '}
            · T2{' '}
            <strong className="mono" title={String(current.t2)}>
              {formatScore(current.t2)}
            </strong>
            {state?.model &&
            (state.model.packageThresholds.t1 !== current.t1 ||
              state.model.packageThresholds.t2 !== current.t2)
              ? ` (model package: ${formatScore(state.model.packageThresholds.t1)} / ${formatScore(state.model.packageThresholds.t2)})`
              : ' (as shipped in the model package)'}
            . Takes effect on the next part.
          </p>
          <div className="field-row">
            <div className="field">
              <label htmlFor="thr-t1">T1 (REVIEW from)</label>
              <input
                id="thr-t1"
                inputMode="decimal"
                placeholder={formatScore(current.t1)}
                value={t1}
                onChange={(e) => setT1(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="thr-t2">T2 (FAIL from)</label>
              <input
                id="thr-t2"
                inputMode="decimal"
                placeholder={formatScore(current.t2)}
                value={t2}
                onChange={(e) => setT2(e.target.value)}
              />
            </div>
          </div>
          <div className="field">
            <label htmlFor="thr-reason">Reason (required, goes to the audit trail)</label>
            <input
              id="thr-reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              maxLength={500}
            />
          </div>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="thr-apply">
              Apply thresholds
            </button>
            {message ? (
              <span
                className={message.ok ? 'ok-text' : 'field-error'}
                data-testid="thr-message"
                role="status"
              >
                {message.text}
              </span>
            ) : null}
          </div>
        </form>
      ) : (
        <p className="muted">Thresholds belong to a model; none is loaded.</p>
      )}
    </Card>
  );
}

function AboutVerdicts() {
  return (
    <Card title="How verdicts read" className="verdict-legend" testId="verdict-legend">
      <ul className="legend-list">
        <li>
          <StatusBadge verdict="PASS" size="md" /> Score below T1: looks like the good parts the model learnt
          from.
        </li>
        <li>
          <StatusBadge verdict="REVIEW" size="md" /> Between T1 and T2: uncertain, routed to QA instead of a
          guess.
        </li>
        <li>
          <StatusBadge verdict="FAIL" size="md" /> T2 or above: rejected; the image is always kept for review.
        </li>
      </ul>
    </Card>
  );
}
