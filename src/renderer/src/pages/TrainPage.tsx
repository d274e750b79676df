// Retraining wizard: folders → scan report → method and preset → training → calibration → save.
// The job lives on the station (it survives a page reload or a second browser), so the wizard
// resumes from training.status and follows 'training.progress'.
import { NoHeatmap } from '../components/NoHeatmap';
import { useEffect, useState, type FormEvent } from 'react';
import type {
  ApiResults,
  MethodInfo,
  ModelVersionDto,
  OutOfSampleEstimate,
  ScanReport,
  TrainingEstimate,
  TrainingJobDto,
} from '@shared/api';
import { CalibrationHistogram } from '../components/CalibrationHistogram';
import { TrainingCurves } from '../components/LossCurvePlot';
import { Card, Facts } from '../components/Card';
import { formatBytes } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill, StatusBadge } from '../components/StatusBadge';
import { useSettings } from '../hooks/settings';
import { hrefFor } from '../hooks/route';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { formatDuration, formatEstimate, formatRate, formatThreshold } from '../lib/training';
import { describeError } from '../transport';

type Step = 'folders' | 'scan' | 'method' | 'training' | 'calibration' | 'save';
const STEPS: Array<{ id: Step; label: string }> = [
  { id: 'folders', label: 'Folders' },
  { id: 'scan', label: 'Scan report' },
  { id: 'method', label: 'Method' },
  { id: 'training', label: 'Training' },
  { id: 'calibration', label: 'Calibration' },
  { id: 'save', label: 'Save' },
];
const RUNNING: TrainingJobDto['state'][] = ['preparing', 'fitting', 'calibrating'];

type ScanResult = ApiResults['training.scan'];
/** Thresholds the operator settled on in the calibration step, carried to the save step. */
interface Choice {
  jobId: string;
  t1: number;
  t2: number;
  target: number;
  /** Out-of-sample good-part rates at these thresholds, or why there are none. */
  estimate: OutOfSampleEstimate | null;
  estimateNote: string | null;
}

export function TrainPage() {
  const { client } = useStation();
  const { settings } = useSettings();
  const actor = settings?.operatorName?.trim() || '';
  const status = useApi('training.status', {});
  const methods = useApi('training.methods', {});
  const [job, setJob] = useState<TrainingJobDto | null>(null);
  const [step, setStep] = useState<Step>('folders');
  const [goodDir, setGoodDir] = useState('');
  const [defectDir, setDefectDir] = useState('');
  const [scan, setScan] = useState<ScanResult | null>(null);
  const [scanning, setScanning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<ModelVersionDto | null>(null);
  const [choice, setChoice] = useState<Choice | null>(null);

  // Resume a job started earlier (another tab, before a reload): adopted once, during render,
  // the way React recommends for state derived from a first answer.
  const [resumed, setResumed] = useState(false);
  if (!resumed && status.data !== undefined) {
    setResumed(true);
    const j = status.data;
    if (j && !job) {
      setJob(j);
      setGoodDir(j.goodDir);
      setDefectDir(j.defectDir ?? '');
      if (RUNNING.includes(j.state) || j.state === 'paused') setStep('training');
      else if (j.state === 'ready') setStep('calibration');
    }
  }

  useEvent('training.progress', (j) => {
    setJob((prev) => (prev === null || prev.id === j.id || RUNNING.includes(j.state) ? j : prev));
    if (j.state === 'ready') setStep((s) => (s === 'training' ? 'calibration' : s));
  });

  async function runScan(e?: FormEvent) {
    e?.preventDefault();
    setError(null);
    setScanning(true);
    try {
      const result = await client.call('training.scan', {
        goodDir: goodDir.trim(),
        ...(defectDir.trim() ? { defectDir: defectDir.trim() } : {}),
      });
      setScan(result);
      setStep('scan');
    } catch (err) {
      setError(err);
    } finally {
      setScanning(false);
    }
  }

  async function start(method: string, preset: string) {
    setError(null);
    try {
      const j = await client.call('training.start', {
        goodDir: goodDir.trim(),
        ...(defectDir.trim() ? { defectDir: defectDir.trim() } : {}),
        method,
        preset,
        actor: actor || 'operator',
      });
      setJob(j);
      setSaved(null);
      setStep('training');
    } catch (err) {
      setError(err);
    }
  }

  // A paused job holds the wizard like a running one: it is resumed or discarded first.
  const running = job !== null && (RUNNING.includes(job.state) || job.state === 'paused');
  const reachable = (s: Step): boolean => {
    if (running) return s === 'training';
    switch (s) {
      case 'folders':
        return true;
      case 'scan':
        return scan !== null;
      case 'method':
        return scan?.canTrain === true;
      case 'training':
        return job !== null;
      case 'calibration':
        return job?.state === 'ready';
      case 'save':
        return job?.state === 'ready' || saved !== null;
    }
  };

  return (
    <Page
      id="train"
      title="Train a model"
      subtitle="Learn what a good part looks like from a folder of good images"
    >
      <ol className="wizard-steps" data-testid="wizard-steps">
        {STEPS.map((s, i) => (
          <li key={s.id} className={s.id === step ? 'current' : reachable(s.id) ? 'reachable' : 'locked'}>
            <button
              type="button"
              disabled={!reachable(s.id) || s.id === step}
              onClick={() => setStep(s.id)}
              aria-current={s.id === step ? 'step' : undefined}
              data-testid={`wizard-step-${s.id}`}
            >
              <span className="step-num">{i + 1}</span>
              {s.label}
            </button>
          </li>
        ))}
      </ol>
      {error ? (
        <Notice tone="bad" title="That did not work" testId="wizard-error">
          {describeError(error)}
        </Notice>
      ) : null}
      {step === 'folders' ? (
        <FoldersStep
          goodDir={goodDir}
          defectDir={defectDir}
          setGoodDir={setGoodDir}
          setDefectDir={setDefectDir}
          scanning={scanning}
          onScan={runScan}
          job={job}
        />
      ) : null}
      {step === 'scan' && scan ? (
        <ScanStep
          scan={scan}
          onBack={() => setStep('folders')}
          onRescan={() => void runScan()}
          onNext={() => setStep('method')}
          scanning={scanning}
        />
      ) : null}
      {step === 'method' && scan ? (
        methods.data ? (
          <MethodStep
            methods={methods.data}
            estimates={scan.estimates}
            scan={scan}
            onStart={start}
            onBack={() => setStep('scan')}
          />
        ) : methods.error ? (
          <ErrorNotice error={methods.error} what="the training methods" onRetry={methods.reload} />
        ) : (
          <Loading what="training methods" />
        )
      ) : null}
      {step === 'training' && job ? (
        <TrainingStep job={job} actor={actor} onRestart={() => setStep('method')} />
      ) : null}
      {step === 'calibration' && job?.state === 'ready' ? (
        <CalibrationStep
          job={job}
          onChoice={setChoice}
          onNext={() => setStep('save')}
          onDiscard={() => setStep('method')}
          actor={actor}
        />
      ) : null}
      {step === 'save' ? (
        <SaveStep
          job={job}
          actor={actor}
          saved={saved}
          choice={choice?.jobId === job?.id ? choice : null}
          onSaved={(v) => {
            setSaved(v);
          }}
          onBack={() => setStep('calibration')}
        />
      ) : null}
    </Page>
  );
}

// ---------- 1. folders ----------

function FoldersStep(props: {
  goodDir: string;
  defectDir: string;
  setGoodDir: (v: string) => void;
  setDefectDir: (v: string) => void;
  scanning: boolean;
  onScan: (e: FormEvent) => void;
  job: TrainingJobDto | null;
}) {
  const candidates = useApi('candidates.list', { limit: 1 });
  return (
    <div className="grid-2">
      <Card title="1 · Where are the images?" testId="wizard-folders">
        <form className="form" onSubmit={props.onScan} noValidate aria-label="Training folders">
          <div className="field">
            <label htmlFor="goodDir">Folder of good images (required)</label>
            <input
              id="goodDir"
              name="goodDir"
              className="mono"
              autoComplete="off"
              spellCheck={false}
              placeholder="/data/line3/good"
              value={props.goodDir}
              onChange={(e) => props.setGoodDir(e.target.value)}
            />
            <p className="hint">
              An absolute path on the station PC (in the browser UI: on the server). 10–300 images of good
              parts is typical; at least 5 are needed.
            </p>
          </div>
          <div className="field">
            <label htmlFor="defectDir">Folder of known defects (optional)</label>
            <input
              id="defectDir"
              name="defectDir"
              className="mono"
              autoComplete="off"
              spellCheck={false}
              placeholder="/data/line3/defects/crack"
              value={props.defectDir}
              onChange={(e) => props.setDefectDir(e.target.value)}
            />
            <p className="hint">
              Used only to check the model, never to train it. Masks named <code>&lt;image&gt;_mask.png</code>{' '}
              (here or in an MVTec <code>ground_truth</code> folder) are counted.
            </p>
          </div>
          <div className="form-actions">
            <button
              type="submit"
              className="btn btn-primary"
              disabled={props.scanning || !props.goodDir.trim()}
              data-testid="wizard-scan"
            >
              {props.scanning ? 'Scanning…' : 'Scan folders'}
            </button>
            {props.scanning ? <span className="spinner" aria-hidden="true" /> : null}
          </div>
        </form>
      </Card>
      <div className="stack">
        <Card title="What happens next">
          <ol className="plan-list">
            <li>
              Every image is decoded and hashed: unreadable files, exact duplicates, mixed sizes are reported.
            </li>
            <li>You pick a method and preset and see how long it should take on this station.</li>
            <li>A quarter of the good images is held out; the model never sees them while it learns.</li>
            <li>They, synthetic defects made from them and your real defects set the thresholds.</li>
            <li>You save a new version and deploy it now or later. Earlier versions stay for rollback.</li>
          </ol>
        </Card>
        {candidates.data && candidates.data.total > 0 ? (
          <Notice tone="info" title={`${candidates.data.total} reviewed false alarms are waiting`}>
            Export them from the Models screen into <code className="mono">{candidates.data.folder}</code> and
            add that folder's images to your good-image folder.
          </Notice>
        ) : null}
        {props.job && !RUNNING.includes(props.job.state) && props.job.state !== 'ready' ? (
          <Notice
            tone={props.job.state === 'failed' ? 'bad' : 'info'}
            title={`Last job ${props.job.id}: ${props.job.state}`}
          >
            {props.job.error ?? (props.job.savedAs ? `Saved as ${props.job.savedAs}.` : null)}
          </Notice>
        ) : null}
      </div>
    </div>
  );
}

// ---------- 2. scan ----------

function ScanStep({
  scan,
  onBack,
  onRescan,
  onNext,
  scanning,
}: {
  scan: ScanReport;
  onBack: () => void;
  onRescan: () => void;
  onNext: () => void;
  scanning: boolean;
}) {
  const g = scan.good;
  const d = scan.defects;
  const dupExtra = (s: typeof g) => s.duplicates.reduce((n, x) => n + x.files.length - 1, 0);
  return (
    <div className="stack" data-testid="wizard-scan-report">
      <div className="tiles">
        <Tile label="Usable good images" value={String(g.usable)} warn={g.usable < 10} testId="scan-usable" />
        <Tile label="Image files found" value={String(g.imageFiles)} />
        <Tile
          label="Unreadable"
          value={String(g.unreadable.length)}
          warn={g.unreadable.length > 0}
          testId="scan-unreadable"
        />
        <Tile
          label="Exact duplicates"
          value={String(dupExtra(g))}
          warn={g.duplicates.length > 0}
          testId="scan-duplicates"
        />
        <Tile
          label="Sizes"
          value={
            g.sizes.length > 2
              ? `${g.sizes.length} different`
              : g.sizes.map((s) => `${s.width}×${s.height}`).join(', ') || '—'
          }
          warn={g.sizes.length > 1}
        />
        <Tile label="Defect images" value={d ? String(d.usable) : 'none given'} />
      </div>
      {scan.issues.length === 0 ? (
        <Notice tone="ok" title="No problems found" testId="scan-ok">
          {g.usable} good images, all readable, no duplicates, one size. Scanned in {formatDuration(scan.ms)}.
        </Notice>
      ) : (
        <div className="stack-tight" data-testid="scan-issues">
          {scan.issues.map((i) => (
            <Notice
              key={i.code + i.message}
              tone={i.level === 'block' ? 'bad' : i.level === 'warn' ? 'warn' : 'info'}
              title={i.level === 'block' ? 'Cannot train' : i.level === 'warn' ? 'Check this' : 'Note'}
            >
              {i.message}
            </Notice>
          ))}
        </div>
      )}
      <div className="grid-2">
        <FolderCard title="Good images" scan={g} />
        {d ? (
          <FolderCard title="Known defects" scan={d} />
        ) : (
          <Card title="Known defects">
            <p className="muted">
              No defect folder given: calibration uses held-out good images and synthetic defects only.
            </p>
          </Card>
        )}
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onBack}>
          <Icon name="chevronLeft" /> Change folders
        </button>
        <button type="button" className="btn" onClick={onRescan} disabled={scanning}>
          <Icon name="refresh" /> {scanning ? 'Scanning…' : 'Scan again'}
        </button>
        <button
          type="button"
          className="btn btn-primary"
          onClick={onNext}
          disabled={!scan.canTrain}
          data-testid="scan-continue"
        >
          Continue <Icon name="chevronRight" />
        </button>
        {!scan.canTrain ? (
          <span className="field-error">
            Fix the folder first: training needs at least 5 usable good images.
          </span>
        ) : null}
      </div>
    </div>
  );
}

function FolderCard({ title, scan }: { title: string; scan: ScanReport['good'] }) {
  return (
    <Card title={title}>
      <Facts
        items={[
          { label: 'Folder', value: scan.dir, mono: true },
          { label: 'Readable', value: `${scan.readable} of ${scan.imageFiles} (${formatBytes(scan.bytes)})` },
          {
            label: 'Channels',
            value:
              scan.channels
                .map((c) => `${c.count} × ${CHANNELS[c.channels] ?? `${c.channels}-ch`}`)
                .join(', ') || '—',
          },
          {
            label: 'Sizes',
            // Cropped parts can come in dozens of sizes; the most common ones say enough.
            value:
              (scan.sizes
                .slice(0, 6)
                .map((s) => `${s.count} × ${s.width}×${s.height}`)
                .join(', ') || '—') + (scan.sizes.length > 6 ? `, and ${scan.sizes.length - 6} more` : ''),
          },
          ...(scan.masks > 0 ? [{ label: 'Masks', value: String(scan.masks) }] : []),
        ]}
      />
      {scan.unreadable.length > 0 ? (
        <>
          <h3 className="subhead">Unreadable (skipped)</h3>
          <ul className="file-list" data-testid="unreadable-list">
            {scan.unreadable.slice(0, 20).map((u) => (
              <li key={u.file}>
                <span className="mono">{u.file}</span> <span className="muted">— {u.reason}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {scan.duplicates.length > 0 ? (
        <>
          <h3 className="subhead">Exact duplicates (first kept)</h3>
          <ul className="file-list" data-testid="duplicate-list">
            {scan.duplicates.slice(0, 20).map((dup) => (
              <li key={dup.sha256}>
                <span className="mono">{dup.files.join(' = ')}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Card>
  );
}

const CHANNELS: Record<number, string> = { 1: 'grey', 2: 'grey+alpha', 3: 'RGB', 4: 'RGBA' };

function Tile({
  label,
  value,
  sub,
  warn,
  testId,
}: {
  label: string;
  value: string;
  /** A second, smaller line (the uncertainty of an estimate). */
  sub?: string;
  warn?: boolean;
  testId?: string;
}) {
  return (
    <div className={warn ? 'tile tile-warn' : 'tile'} data-testid={testId}>
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
      {sub ? <span className="tile-sub muted small">{sub}</span> : null}
    </div>
  );
}

// ---------- 3. method ----------

function MethodStep({
  methods,
  estimates,
  scan,
  onStart,
  onBack,
}: {
  methods: MethodInfo[];
  estimates: TrainingEstimate[];
  scan: ScanReport;
  onStart: (method: string, preset: string) => Promise<void>;
  onBack: () => void;
}) {
  const firstAvailable = methods.find((m) => m.available && m.presets.length > 0);
  const [method, setMethod] = useState(firstAvailable?.id ?? '');
  const [preset, setPreset] = useState(firstAvailable?.presets[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const current = methods.find((m) => m.id === method);
  const estimate = estimates.find((e) => e.method === method && e.preset === preset);
  return (
    <div className="stack" data-testid="wizard-method">
      <div className="method-grid">
        {methods.map((m) => (
          <label
            key={m.id}
            className={`method-card ${m.available ? '' : 'disabled'} ${method === m.id ? 'selected' : ''}`}
          >
            <input
              type="radio"
              name="method"
              value={m.id}
              disabled={!m.available}
              checked={method === m.id}
              onChange={() => {
                setMethod(m.id);
                setPreset(m.presets[0]?.id ?? '');
              }}
            />
            <span className="method-name">
              {m.label}{' '}
              {m.available ? <Pill tone="ok">available</Pill> : <Pill tone="neutral">not available</Pill>}
            </span>
            <span className="muted small">{m.description}</span>
            {!m.available ? <span className="small">{m.reason}</span> : null}
          </label>
        ))}
      </div>
      {current && current.presets.length > 0 ? (
        <Card title={`${current.label} preset`}>
          <div className="preset-list">
            {current.presets.map((p) => {
              const e = estimates.find((x) => x.method === current.id && x.preset === p.id);
              return (
                <label
                  key={p.id}
                  className={`preset ${preset === p.id ? 'selected' : ''}`}
                  data-testid={`preset-${p.id}`}
                >
                  <input
                    type="radio"
                    name="preset"
                    value={p.id}
                    checked={preset === p.id}
                    onChange={() => setPreset(p.id)}
                  />
                  <span className="preset-head">
                    <strong>{p.label}</strong>
                    <span className="mono small">{p.backbone}</span>
                    <span className="preset-time">≈ {formatDuration(e?.ms)}</span>
                  </span>
                  <span className="muted small">{p.description}</span>
                </label>
              );
            })}
          </div>
          {estimate ? (
            <p className="estimate" data-testid="training-estimate">
              <strong>Expected time on this station: about {formatDuration(estimate.ms)}</strong> — an
              estimate for {estimate.fitImages} images to learn from and {estimate.calibrationImages} held out
              for calibration, from costs {estimate.basisText}. The line keeps inspecting meanwhile.
            </p>
          ) : null}
        </Card>
      ) : null}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onBack}>
          <Icon name="chevronLeft" /> Scan report
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy || !current?.available || !preset || !scan.canTrain}
          data-testid="training-start"
          onClick={() => {
            setBusy(true);
            void onStart(method, preset).finally(() => setBusy(false));
          }}
        >
          <Icon name="train" /> {busy ? 'Starting…' : 'Start training'}
        </button>
      </div>
    </div>
  );
}

// ---------- 4. training ----------

function TrainingStep({
  job,
  actor,
  onRestart,
}: {
  job: TrainingJobDto;
  actor: string;
  onRestart: () => void;
}) {
  const { client } = useStation();
  const state = useApi('station.state', {});
  const [pushedModel, setPushedModel] = useState<string | null>(null);
  useEvent('station.state', (s) => setPushedModel(s.model?.id ?? null));
  const [cancelling, setCancelling] = useState(false);
  const [pauseAction, setPauseAction] = useState<'pause' | 'resume' | 'discard' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [errorTitle, setErrorTitle] = useState('Could not cancel');
  const running = RUNNING.includes(job.state);
  const paused = job.state === 'paused' ? job.paused : null;
  const act = (what: 'pause' | 'resume' | 'discard', title: string) => {
    setPauseAction(what);
    setError(null);
    setErrorTitle(title);
    const who = { jobId: job.id, actor: actor || 'operator' };
    const call =
      what === 'pause'
        ? client.call('training.pause', who)
        : what === 'resume'
          ? client.call('training.resume', who)
          : client.call('training.discard', who);
    call.catch(setError).finally(() => setPauseAction(null));
  };
  const liveModel = pushedModel ?? state.data?.model?.id ?? null;
  const pct = Math.round(job.progress.fraction * 100);
  return (
    <Card
      title="4 · Training"
      testId="wizard-training"
      aside={
        <Pill
          tone={
            job.state === 'failed'
              ? 'bad'
              : job.state === 'cancelled'
                ? 'neutral'
                : job.state === 'paused'
                  ? 'warn'
                  : running
                    ? 'info'
                    : 'ok'
          }
          testId="training-state"
        >
          {job.state}
        </Pill>
      }
    >
      <div className="train-progress">
        <div className="progress-head">
          <strong data-testid="training-stage">
            {running
              ? job.progress.stageLabel
              : job.state === 'ready'
                ? 'Done: calibration ready'
                : paused
                  ? paused.step !== null
                    ? `Paused after step ${paused.step} of ${paused.totalSteps}`
                    : 'Paused'
                  : job.state}
          </strong>
          <span className="mono" data-testid="training-percent">
            {pct} %
          </span>
        </div>
        <progress
          max={100}
          value={pct}
          className="progress"
          aria-label="Training progress"
          data-testid="training-progress"
        />
        <div className="progress-foot muted small">
          <span>
            {job.progress.total > 1 ? `${job.progress.done} / ${job.progress.total} · ` : ''}elapsed{' '}
            {formatDuration(job.elapsedMs)}
          </span>
          <span data-testid="training-eta">
            {running
              ? `about ${formatDuration(job.progress.etaMs ?? Math.max(0, job.estimateMs - job.elapsedMs))} left (estimate)`
              : ''}
          </span>
        </div>
      </div>
      <TrainingCurves curve={job.lossCurve} device={job.device} />
      <Facts
        items={[
          { label: 'Method', value: `${job.method} · ${job.preset} · ${job.backbone}` },
          {
            label: 'Images',
            value: `${job.fitImages} to learn from, ${job.heldOutImages} held out${job.defectImages ? `, ${job.defectImages} defects` : ''}`,
          },
          { label: 'Good folder', value: job.goodDir, mono: true },
          {
            label: 'Live line',
            value: liveModel ? `still inspecting with ${liveModel}` : 'no model loaded',
            testId: 'training-live-model',
          },
        ]}
      />
      {job.state === 'failed' ? (
        <Notice tone="bad" title="Training failed" testId="training-failed">
          {job.error}
        </Notice>
      ) : null}
      {job.state === 'cancelled' ? (
        <Notice tone="info" title="Training cancelled" testId="training-cancelled">
          Nothing was written: no model folder and no model version were created.
        </Notice>
      ) : null}
      {paused ? (
        <Notice tone="warn" title="Training paused" testId="training-paused">
          Paused by {paused.by} at {new Date(paused.at).toLocaleString()} ({paused.reason})
          {paused.step !== null ? `, after step ${paused.step} of ${paused.totalSteps}` : ''}. Its checkpoint
          (weights, optimiser state, step and loss curve) is kept in the station&apos;s data folder, also
          across a restart: Resume continues from it; Discard deletes it.
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="bad" title={errorTitle}>
          {describeError(error)}
        </Notice>
      ) : null}
      <div className="form-actions">
        {job.state === 'fitting' && job.pausable ? (
          <button
            type="button"
            className="btn"
            disabled={pauseAction !== null || cancelling}
            data-testid="training-pause"
            onClick={() => act('pause', 'Could not pause')}
          >
            {pauseAction === 'pause' ? 'Pausing at the next step…' : 'Pause training'}
          </button>
        ) : null}
        {paused ? (
          <>
            <button
              type="button"
              className="btn btn-primary"
              disabled={pauseAction !== null}
              data-testid="training-resume"
              onClick={() => act('resume', 'Could not resume')}
            >
              {pauseAction === 'resume' ? 'Resuming…' : 'Resume training'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={pauseAction !== null}
              data-testid="training-discard-paused"
              onClick={() => act('discard', 'Could not discard')}
            >
              <Icon name="cross" /> {pauseAction === 'discard' ? 'Discarding…' : 'Discard'}
            </button>
          </>
        ) : running ? (
          <button
            type="button"
            className="btn btn-stop"
            disabled={cancelling}
            data-testid="training-cancel"
            onClick={() => {
              setCancelling(true);
              setError(null);
              setErrorTitle('Could not cancel');
              client
                .call('training.cancel', { jobId: job.id, actor: actor || 'operator' })
                .catch(setError)
                .finally(() => setCancelling(false));
            }}
          >
            <Icon name="cross" /> {cancelling ? 'Cancelling…' : 'Cancel training'}
          </button>
        ) : (
          <button type="button" className="btn" onClick={onRestart}>
            <Icon name="chevronLeft" /> Method and preset
          </button>
        )}
      </div>
    </Card>
  );
}

// ---------- 5. calibration ----------

const FRR_CHOICES = [0, 0.005, 0.01, 0.02, 0.05, 0.1];
const REVIEW_CHOICES = [0, 0.02, 0.05, 0.1, 0.2];

function CalibrationStep({
  job,
  onChoice,
  onNext,
  onDiscard,
  actor,
}: {
  job: TrainingJobDto;
  onChoice: (c: Choice) => void;
  onNext: () => void;
  onDiscard: () => void;
  actor: string;
}) {
  const { client } = useStation();
  const [target, setTarget] = useState(0.02);
  const [budget, setBudget] = useState(0.05);
  const [manual, setManual] = useState<{ t1: string; t2: string } | null>(null);
  const t1n = manual ? Number(manual.t1) : undefined;
  const t2n = manual ? Number(manual.t2) : undefined;
  const manualOk = manual === null || (Number.isFinite(t1n) && Number.isFinite(t2n) && t1n! <= t2n!);
  const request = {
    jobId: job.id,
    targetFalseRejectRate: target,
    reviewBudget: budget,
    ...(manual && manualOk ? { t1: t1n, t2: t2n } : {}),
  };
  const cal = useApi('training.calibrate', request);
  const report = cal.data;
  const oos = report?.outOfSample ?? null;
  // The save step writes exactly the thresholds whose rates are on screen.
  useEffect(() => {
    if (report)
      onChoice({
        jobId: job.id,
        t1: report.rates.t1,
        t2: report.rates.t2,
        target,
        estimate: report.outOfSample,
        estimateNote: report.outOfSampleNote,
      });
  }, [report, job.id, target, onChoice]);

  return (
    <div className="stack" data-testid="wizard-calibration">
      {cal.error ? <ErrorNotice error={cal.error} what="the calibration" onRetry={cal.reload} /> : null}
      {!report ? <Loading what="the calibration" /> : null}
      {report ? (
        <>
          <div className="grid-2">
            <Card title="5 · Calibration: scores of images the model never saw">
              <CalibrationHistogram report={report} t1={report.rates.t1} t2={report.rates.t2} />
            </Card>
            <Card title="Thresholds">
              <form className="form" onSubmit={(e) => e.preventDefault()} aria-label="Calibration thresholds">
                <div className="field-row">
                  <div className="field">
                    <label htmlFor="targetFrr">Target false-reject rate</label>
                    <select
                      id="targetFrr"
                      value={target}
                      onChange={(e) => {
                        setTarget(Number(e.target.value));
                        setManual(null);
                      }}
                      data-testid="target-frr"
                    >
                      {FRR_CHOICES.map((v) => (
                        <option
                          key={v}
                          value={v}
                        >{`${(v * 100).toFixed(v < 0.01 && v > 0 ? 1 : 0)} %`}</option>
                      ))}
                    </select>
                    <p className="hint">Good parts you accept to see FAIL. Sets T2.</p>
                  </div>
                  <div className="field">
                    <label htmlFor="reviewBudget">Good parts to REVIEW</label>
                    <select
                      id="reviewBudget"
                      value={budget}
                      onChange={(e) => {
                        setBudget(Number(e.target.value));
                        setManual(null);
                      }}
                    >
                      {REVIEW_CHOICES.map((v) => (
                        <option key={v} value={v}>{`${Math.round(v * 100)} %`}</option>
                      ))}
                    </select>
                    <p className="hint">Extra share sent to a person. Sets T1.</p>
                  </div>
                </div>
                <div className="field-row">
                  <div className={`field ${manualOk ? '' : 'invalid'}`}>
                    <label htmlFor="t1">T1 (REVIEW from)</label>
                    <input
                      id="t1"
                      inputMode="decimal"
                      className="mono"
                      value={manual?.t1 ?? formatThreshold(report.suggested.t1)}
                      onChange={(e) =>
                        setManual({
                          t1: e.target.value,
                          t2: manual?.t2 ?? formatThreshold(report.suggested.t2),
                        })
                      }
                      data-testid="cal-t1"
                    />
                  </div>
                  <div className={`field ${manualOk ? '' : 'invalid'}`}>
                    <label htmlFor="t2">T2 (FAIL from)</label>
                    <input
                      id="t2"
                      inputMode="decimal"
                      className="mono"
                      value={manual?.t2 ?? formatThreshold(report.suggested.t2)}
                      onChange={(e) =>
                        setManual({
                          t1: manual?.t1 ?? formatThreshold(report.suggested.t1),
                          t2: e.target.value,
                        })
                      }
                      data-testid="cal-t2"
                    />
                  </div>
                </div>
                {!manualOk ? <p className="field-error">Enter numbers with T1 ≤ T2.</p> : null}
                <p className="hint">
                  Suggested for {formatRate(target)}: T1 {formatThreshold(report.suggested.t1)}, T2{' '}
                  {formatThreshold(report.suggested.t2)}
                  {manual ? (
                    <>
                      {' '}
                      <button type="button" className="btn btn-link" onClick={() => setManual(null)}>
                        use suggested
                      </button>
                    </>
                  ) : null}
                </p>
              </form>
              <div className="tiles tiles-2" data-testid="calibration-rates">
                {oos ? (
                  <>
                    <Tile
                      label="Good parts FAIL (out of sample)"
                      value={formatRate(oos.falseRejectRate, oos.images)}
                      sub={`95 % interval ${formatRate(oos.falseRejectInterval[0])}–${formatRate(oos.falseRejectInterval[1])}`}
                      warn={oos.falseRejectRate > target}
                      testId="rate-false-reject"
                    />
                    <Tile
                      label="Good parts REVIEW (out of sample)"
                      value={formatRate(oos.goodReviewRate, oos.images)}
                      sub={`95 % interval ${formatRate(oos.goodReviewInterval[0])}–${formatRate(oos.goodReviewInterval[1])}`}
                    />
                  </>
                ) : (
                  <>
                    <Tile
                      label="Good parts FAIL (in sample)"
                      value={formatRate(report.rates.falseRejectRate, report.goodScores.length)}
                      sub="optimistic: no estimate out of sample"
                      warn
                      testId="rate-false-reject"
                    />
                    <Tile
                      label="Good parts REVIEW (in sample)"
                      value={formatRate(report.rates.goodReviewRate, report.goodScores.length)}
                    />
                  </>
                )}
                <Tile
                  label="Synthetic defects escape"
                  value={formatRate(report.rates.syntheticEscapeRate, report.syntheticScores.length)}
                  warn={(report.rates.syntheticEscapeRate ?? 0) > 0.2}
                  testId="rate-synthetic-escape"
                />
                <Tile
                  label="Real defects escape"
                  value={
                    report.defectScores.length
                      ? formatRate(report.rates.defectEscapeRate, report.defectScores.length)
                      : 'no defect folder'
                  }
                  warn={(report.rates.defectEscapeRate ?? 0) > 0}
                  testId="rate-defect-escape"
                />
              </div>
              <p className="muted small" data-testid="calibration-estimate">
                {oos ? (
                  <>
                    Good-part rates are estimated out of sample: the {oos.images} held-out good images are
                    split into {oos.folds} folds and each fold is scored with a score range
                    {oos.thresholds === 'suggested' ? ' and thresholds' : ''} made from the other folds only
                    (per fold: {oos.foldFalseRejectRates.map((r) => formatRate(r)).join(', ')} FAIL). On the
                    images the range and thresholds came from, the same thresholds FAIL{' '}
                    {formatRate(report.rates.falseRejectRate)} and REVIEW{' '}
                    {formatRate(report.rates.goodReviewRate)} — optimistic by construction.{' '}
                  </>
                ) : (
                  <>{report.outOfSampleNote} </>
                )}
                Expected rates at these thresholds on {report.goodScores.length} held-out good images,{' '}
                {report.syntheticScores.length} synthetic and {report.defectScores.length} real defects. Image
                AUROC: synthetic {report.aurocSynthetic === null ? '—' : report.aurocSynthetic.toFixed(3)},
                real {report.aurocDefect === null ? '—' : report.aurocDefect.toFixed(3)}. Few images make
                these rough: targets finer than 1 in {report.goodScores.length} are set from the held-out
                scores&apos; mean and spread (normal tail), not counted.
              </p>
            </Card>
          </div>
          <Card
            title="Example heatmaps"
            aside={
              report.examples.some((e) => e.imageLevel) ? <NoHeatmap testId="examples-no-heatmap" /> : null
            }
          >
            <div className="example-grid" data-testid="calibration-examples">
              {report.examples.map((ex) => (
                <figure key={`${ex.kind}-${ex.name}`} className="example">
                  <img
                    src={`data:image/jpeg;base64,${ex.overlayJpegBase64}`}
                    width={ex.width}
                    height={ex.height}
                    alt={`${ex.kind} example ${ex.name}`}
                  />
                  <figcaption>
                    <span className="example-kind">{EXAMPLE_KIND[ex.kind]}</span>
                    <StatusBadge verdict={ex.verdict} size="sm" />
                    <span className="mono small">{ex.score.toFixed(3)}</span>
                    <span className="muted small clip" title={ex.name}>
                      {ex.name}
                    </span>
                  </figcaption>
                </figure>
              ))}
            </div>
          </Card>
          <div className="form-actions">
            <button
              type="button"
              className="btn"
              onClick={() => {
                void client
                  .call('training.discard', { jobId: job.id, actor: actor || 'operator' })
                  .then(onDiscard);
              }}
            >
              Discard this model
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={onNext}
              disabled={!manualOk}
              data-testid="calibration-continue"
            >
              Continue to save <Icon name="chevronRight" />
            </button>
          </div>
        </>
      ) : null}
    </div>
  );
}

const EXAMPLE_KIND: Record<string, string> = {
  good: 'Least normal good',
  synthetic: 'Synthetic defect',
  defect: 'Real defect',
};

// ---------- 6. save ----------

function SaveStep({
  job,
  actor,
  saved,
  choice,
  onSaved,
  onBack,
}: {
  job: TrainingJobDto | null;
  actor: string;
  saved: ModelVersionDto | null;
  choice: Choice | null;
  onSaved: (v: ModelVersionDto) => void;
  onBack: () => void;
}) {
  const { client } = useStation();
  const [deploy, setDeploy] = useState(true);
  const [reason, setReason] = useState('');
  const [notes, setNotes] = useState('');
  const [name, setName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (saved) {
    return (
      <Card title="6 · Saved" testId="wizard-saved">
        <Notice tone="ok" title={`Saved as version ${saved.version}: ${saved.id}`} testId="save-result">
          {saved.active
            ? 'It is deployed: the live line now inspects with it.'
            : 'Not deployed: deploy it from the Models screen when ready.'}{' '}
          The previous versions stay available for rollback.
        </Notice>
        <div className="form-actions">
          <a className="btn btn-primary" href={hrefFor('models')} data-testid="goto-models">
            <Icon name="models" /> Open Models
          </a>
        </div>
      </Card>
    );
  }
  if (!job || job.state !== 'ready' || !choice) {
    return (
      <Notice tone="info" title="Nothing to save">
        Train a model and check its calibration first.
      </Notice>
    );
  }

  // Until edited, the name proposes what was trained on what; the person makes it theirs.
  const modelName = name ?? suggestedName(job);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!job || !choice) return;
    setError(null);
    setBusy(true);
    try {
      const v = await client.call('training.save', {
        jobId: job.id,
        t1: choice.t1,
        t2: choice.t2,
        targetFalseRejectRate: choice.target,
        deploy,
        actor: actor || 'operator',
        reason: reason.trim(),
        ...(modelName.trim() ? { name: modelName.trim() } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
      });
      onSaved(v);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="6 · Save as a new model version" testId="wizard-save">
      <form className="form" onSubmit={submit} noValidate aria-label="Save model">
        <Facts
          items={[
            {
              label: 'Thresholds',
              value: `T1 ${formatThreshold(choice.t1)} · T2 ${formatThreshold(choice.t2)}`,
              mono: true,
            },
            { label: 'Target false-reject rate', value: formatRate(choice.target) },
            {
              label: 'Good parts FAIL (out of sample)',
              value: choice.estimate ? formatEstimate(choice.estimate) : (choice.estimateNote ?? '—'),
            },
            { label: 'Method', value: `${job.method} · ${job.preset} · ${job.backbone}` },
          ]}
        />
        <fieldset className="radio-row">
          <legend>Deploy</legend>
          <label>
            <input
              type="radio"
              name="deploy"
              checked={deploy}
              onChange={() => setDeploy(true)}
              data-testid="deploy-now"
            />{' '}
            Deploy now (the line switches after the frames in flight)
          </label>
          <label>
            <input
              type="radio"
              name="deploy"
              checked={!deploy}
              onChange={() => setDeploy(false)}
              data-testid="deploy-later"
            />{' '}
            Later, from the Models screen
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor="saveName">Model name (shown on Models and stored in model.json)</label>
          <input
            id="saveName"
            value={modelName}
            maxLength={80}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Line 3 housing, spring batch"
            data-testid="save-name"
          />
        </div>
        <div className="field">
          <label htmlFor="saveReason">Reason (required, goes into the audit trail)</label>
          <input
            id="saveReason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. new supplier batch, retrained on 40 parts"
            data-testid="save-reason"
          />
        </div>
        <div className="field">
          <label htmlFor="saveNotes">Notes (optional)</label>
          <textarea id="saveNotes" rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </div>
        {error ? (
          <Notice tone="bad" title="Not saved" testId="save-error">
            {describeError(error)}
          </Notice>
        ) : null}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onBack}>
            <Icon name="chevronLeft" /> Calibration
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || !reason.trim() || !modelName.trim()}
            data-testid="save-model"
          >
            {busy ? 'Saving…' : deploy ? 'Save and deploy' : 'Save'}
          </button>
          <span className="muted small">
            Signed as <strong>{actor || 'operator'}</strong>
          </span>
        </div>
      </form>
    </Card>
  );
}

/** "PatchCore fast · good-parts": a starting point, edited in the form. */
function suggestedName(job: TrainingJobDto): string {
  const folder = job.goodDir.split(/[\\/]/).filter(Boolean).at(-1) ?? '';
  return `${job.method} ${job.preset}${folder ? ` · ${folder}` : ''}`.slice(0, 80);
}
