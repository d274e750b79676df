import { ReasonField } from '../components/ReasonField';
// Model versions: lineage, calibration metrics and thresholds; deploy and roll back (audited);
// compare two versions on the same images; import packages (ours or anomalib ONNX exports);
// hand the reviewed false alarms to the next training set.
import { useState, type FormEvent } from 'react';
import type { ModelCompareResult, ModelVersionDto } from '@shared/api';
import { Card, Facts } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatTime, shortHash } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill, StatusBadge } from '../components/StatusBadge';
import { useSettings } from '../hooks/settings';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { formatEstimate, formatRate, formatThreshold, storedEstimate } from '../lib/training';
import { describeError } from '../transport';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function ModelsPage() {
  const list = useApi('models.list', {});
  useEvent('models.changed', () => list.reload());
  useEvent('station.state', (s) => {
    if (list.data && (s.model?.id ?? null) !== list.data.liveModelId) list.reload();
  });
  const [selected, setSelected] = useState<string | null>(null);
  const versions = list.data?.versions ?? [];
  const current =
    versions.find((v) => v.id === selected) ?? versions.find((v) => v.active) ?? versions[0] ?? null;

  return (
    <Page
      id="models"
      title="Models"
      subtitle="Versions with their lineage; deploy, roll back, compare and import"
      actions={
        <button type="button" className="btn" onClick={list.reload} disabled={list.loading}>
          <Icon name="refresh" /> Refresh
        </button>
      }
    >
      {list.error ? <ErrorNotice error={list.error} what="the model versions" onRetry={list.reload} /> : null}
      {!list.data && !list.error ? <Loading what="model versions" /> : null}
      {list.data ? (
        <>
          <VersionsTable
            versions={versions}
            liveModelId={list.data.liveModelId}
            selected={current?.id ?? null}
            onSelect={setSelected}
          />
          <div className="grid-2">
            <div className="stack">
              {current ? (
                <VersionDetails version={current} live={list.data.liveModelId === current.id} />
              ) : null}
              <CompareCard versions={versions} />
            </div>
            <div className="stack">
              <DeployCard version={current} rollbackTo={list.data.rollbackTo} onDone={list.reload} />
              <ImportCard
                onDone={(v) => {
                  setSelected(v.id);
                  list.reload();
                }}
              />
              <CandidatesCard />
            </div>
          </div>
        </>
      ) : null}
    </Page>
  );
}

function VersionsTable({
  versions,
  liveModelId,
  selected,
  onSelect,
}: {
  versions: ModelVersionDto[];
  liveModelId: string | null;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const columns: Array<Column<ModelVersionDto>> = [
    {
      key: 'version',
      header: 'Ver.',
      className: 'col-id',
      render: (v) => <span className="mono">v{v.version}</span>,
    },
    {
      key: 'id',
      header: 'Model',
      render: (v) => (
        <span className="model-cell">
          {v.name ? (
            <strong className="model-name" data-testid="model-name">
              {v.name}
            </strong>
          ) : null}
          <span className="mono">{v.id}</span>
          <span className="muted small">
            {v.origin} · {formatTime(v.createdAt)}
          </span>
        </span>
      ),
    },
    {
      key: 'method',
      header: 'Method · backbone · preset',
      render: (v) => `${v.method} · ${v.backbone ?? '—'} · ${v.preset ?? '—'}`,
    },
    {
      key: 'fp',
      header: 'Training set',
      className: 'col-hash',
      render: (v) =>
        v.fingerprint ? (
          <span className="mono" title={v.fingerprint}>
            {shortHash(v.fingerprint, 12)}
          </span>
        ) : (
          <span className="muted">none recorded</span>
        ),
    },
    {
      key: 'thr',
      header: 'T1 / T2',
      className: 'col-thr',
      render: (v) => (
        <span className="mono">{`${formatThreshold(v.thresholds.t1)} / ${formatThreshold(v.thresholds.t2)}`}</span>
      ),
    },
    {
      key: 'metrics',
      header: 'Escape (synth / real)',
      render: (v) => {
        const s = num(v.metrics.syntheticEscapeRate);
        const d = num(v.metrics.defectEscapeRate);
        return s === null && d === null ? (
          <span className="muted">—</span>
        ) : (
          `${formatRate(s)} / ${formatRate(d)}`
        );
      },
    },
    {
      key: 'status',
      header: 'Status',
      className: 'col-status',
      render: (v) =>
        v.active ? (
          <Pill tone="ok" testId={`model-active-${v.id}`}>
            {liveModelId === v.id ? 'active · live' : 'active'}
          </Pill>
        ) : (
          <Pill tone="neutral">stored</Pill>
        ),
    },
  ];
  return (
    <Card title={`Versions (${versions.length})`} testId="models-card">
      <DataTable
        testId="models-table"
        caption="Model versions"
        columns={columns}
        rows={versions}
        rowKey={(v) => v.id}
        selectedKey={selected}
        onRowClick={(v) => onSelect(v.id)}
        empty={
          <span data-testid="models-empty">
            No model versions yet. Train one on the Train screen, or import a package below. (A station
            started with the demo line registers its demo model here.)
          </span>
        }
      />
    </Card>
  );
}

function VersionDetails({ version: v, live }: { version: ModelVersionDto; live: boolean }) {
  const m = v.metrics;
  const estimate = storedEstimate(m.falseRejectEstimate);
  return (
    <Card
      title={`v${v.version} · ${v.name ?? v.id}`}
      testId="model-details"
      aside={v.active ? <Pill tone="ok">active</Pill> : null}
    >
      <Facts
        items={[
          ...(v.name ? [{ label: 'Name', value: v.name }] : []),
          { label: 'Id', value: v.id, mono: true },
          {
            label: 'Method',
            value: `${v.method} (${v.kind === 'anomalib' ? 'anomalib export' : 'native package'})`,
          },
          { label: 'Backbone · preset', value: `${v.backbone ?? '—'} · ${v.preset ?? '—'}` },
          { label: 'Input', value: `${v.inputSize.width}×${v.inputSize.height}`, mono: true },
          { label: 'Training-set fingerprint', value: v.fingerprint ?? 'none recorded', mono: true },
          {
            label: 'Training data',
            value: v.training.goodDir
              ? `${v.training.imageCount ?? '?'} images from ${v.training.goodDir}; ${v.training.calibrationCount ?? 0} held out`
              : v.training.imageCount !== null
                ? `${v.training.imageCount} images`
                : '—',
          },
          ...(v.training.defectDir
            ? [{ label: 'Defects checked', value: v.training.defectDir, mono: true }]
            : []),
          {
            label: 'Thresholds',
            value: `T1 ${formatThreshold(v.thresholds.t1)} · T2 ${formatThreshold(v.thresholds.t2)}`,
            mono: true,
          },
          {
            label: 'Calibration',
            value:
              num(m.falseRejectRate) !== null
                ? `in sample: false rejects ${formatRate(num(m.falseRejectRate))} (target ${formatRate(num(m.targetFalseRejectRate))}), good to review ${formatRate(num(m.goodReviewRate))}, escapes: synthetic ${formatRate(num(m.syntheticEscapeRate))}, real ${formatRate(num(m.defectEscapeRate))}`
                : 'not calibrated by the wizard',
          },
          {
            label: 'False rejects, out of sample',
            value: estimate
              ? `${formatEstimate(estimate)} (cross-validated over the held-out good images)`
              : typeof m.falseRejectEstimateNote === 'string'
                ? m.falseRejectEstimateNote
                : 'not recorded (saved before estimates were kept, or not trained by the wizard)',
          },
          {
            label: 'AUROC',
            value:
              num(m.aurocSynthetic) !== null || num(m.aurocDefect) !== null
                ? `synthetic ${num(m.aurocSynthetic)?.toFixed(3) ?? '—'}, real ${num(m.aurocDefect)?.toFixed(3) ?? '—'}`
                : '—',
          },
          {
            label: 'Lineage',
            value: v.parentId
              ? `trained while ${v.parentId} was active`
              : v.importedFrom
                ? `imported from ${v.importedFrom}`
                : v.origin,
          },
          { label: 'Last deployed', value: v.deployedAt ? formatTime(v.deployedAt) : 'never' },
          { label: 'Folder', value: v.path, mono: true },
          ...(v.notes ? [{ label: 'Notes', value: v.notes }] : []),
          ...(live ? [{ label: 'Live', value: 'the line inspects with this version now' }] : []),
        ]}
      />
    </Card>
  );
}

function DeployCard({
  version,
  rollbackTo,
  onDone,
}: {
  version: ModelVersionDto | null;
  rollbackTo: { id: string; version: number } | null;
  onDone: () => void;
}) {
  const { client } = useStation();
  const { settings } = useSettings();
  const actor = settings?.operatorName?.trim() || 'operator';
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'deploy' | 'rollback' | null>(null);
  const [result, setResult] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  // Set when the selected product's check refused the version: the next deploy must accept it.
  const [mismatch, setMismatch] = useState<string | null>(null);
  const [accept, setAccept] = useState(false);
  const product = useApi('products.list', {});
  const activeProduct = product.data?.products.find((p) => p.active) ?? null;

  async function act(what: 'deploy' | 'rollback') {
    setBusy(what);
    setResult(null);
    try {
      const acknowledge = mismatch !== null && mismatch === version?.id && accept;
      const v =
        what === 'deploy' && version
          ? await client.call('models.deploy', {
              id: version.id,
              acknowledgeMismatch: acknowledge,
              actor,
              reason: reason.trim(),
            })
          : await client.call('models.rollback', { actor, reason: reason.trim() });
      setMismatch(null);
      setAccept(false);
      setResult({
        tone: 'ok',
        text: `${what === 'deploy' ? 'Deployed' : 'Rolled back to'} v${v.version} (${v.id}); recorded in the audit trail.`,
      });
      setReason('');
      onDone();
    } catch (err) {
      if (what === 'deploy' && version && /may not fit product/.test(describeError(err)))
        setMismatch(version.id);
      setResult({ tone: 'bad', text: describeError(err) });
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card title="Deploy or roll back" testId="deploy-card">
      {activeProduct ? (
        <p className="hint" data-testid="deploy-product">
          The line runs product <strong>{activeProduct.name}</strong>: a deploy becomes its model and is
          checked against what it was trained for.
        </p>
      ) : null}
      <form className="form" onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Deploy">
        <div className="field">
          <label htmlFor="deployReason">Reason (required, goes into the audit trail)</label>
          <input
            id="deployReason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. fewer false rejects on the new batch"
            data-testid="deploy-reason"
          />
        </div>
        {mismatch !== null && mismatch === version?.id ? (
          <label className="check">
            <input
              type="checkbox"
              checked={accept}
              onChange={(e) => setAccept(e.target.checked)}
              data-testid="deploy-accept"
            />
            Deploy anyway: I have checked that {version.id} fits {activeProduct?.name ?? 'the product'}.
          </label>
        ) : null}
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={!version || version.active || !reason.trim() || busy !== null}
            onClick={() => void act('deploy')}
            data-testid="deploy-selected"
          >
            {busy === 'deploy' ? 'Deploying…' : version ? `Deploy v${version.version}` : 'Deploy'}
          </button>
          <button
            type="button"
            className="btn"
            disabled={!rollbackTo || !reason.trim() || busy !== null}
            onClick={() => void act('rollback')}
            data-testid="rollback"
            title={rollbackTo ? `Back to ${rollbackTo.id}` : 'No earlier deployed version'}
          >
            {busy === 'rollback'
              ? 'Rolling back…'
              : rollbackTo
                ? `Roll back to v${rollbackTo.version}`
                : 'Nothing to roll back to'}
          </button>
        </div>
        <p className="hint">
          The line loads the version first and switches after the frames in flight; if it cannot load, nothing
          changes. Signed as <strong>{actor}</strong>.
        </p>
        {result ? (
          <Notice
            tone={result.tone}
            title={result.tone === 'ok' ? 'Done' : 'Not deployed'}
            testId="deploy-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function CompareCard({ versions }: { versions: ModelVersionDto[] }) {
  const { client } = useStation();
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [folder, setFolder] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ModelCompareResult | null>(null);
  const aId = a || versions.find((v) => v.active)?.id || versions[0]?.id || '';
  const bId = b || versions.find((v) => v.id !== aId)?.id || '';

  async function run(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(await client.call('models.compare', { a: aId, b: bId, folder: folder.trim() }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const columns: Array<Column<ModelCompareResult['rows'][number]>> = [
    {
      key: 'file',
      header: 'Image',
      render: (r) => (
        <span className="mono clip" title={r.file}>
          {r.file}
        </span>
      ),
    },
    {
      key: 'a',
      header: 'A',
      render: (r) =>
        r.a ? (
          <span className="cmp-cell">
            <StatusBadge verdict={r.a.verdict} size="sm" />
            <span className="mono">{r.a.score.toFixed(3)}</span>
          </span>
        ) : (
          '—'
        ),
    },
    {
      key: 'b',
      header: 'B',
      render: (r) =>
        r.b ? (
          <span className="cmp-cell">
            <StatusBadge verdict={r.b.verdict} size="sm" />
            <span className="mono">{r.b.score.toFixed(3)}</span>
          </span>
        ) : (
          '—'
        ),
    },
    {
      key: 'agree',
      header: 'Agree',
      className: 'col-status',
      render: (r) =>
        r.error ? (
          <span className="field-error" title={r.error}>
            error
          </span>
        ) : r.agree ? (
          <Pill tone="ok">same</Pill>
        ) : (
          <Pill tone="warn">differs</Pill>
        ),
    },
  ];

  return (
    <Card title="Compare two versions on the same images" testId="compare-card">
      {versions.length < 2 ? (
        <p className="muted">
          Two versions are needed to compare; there {versions.length === 1 ? 'is one' : 'are none'}.
        </p>
      ) : (
        <form className="form" onSubmit={run} aria-label="Compare versions">
          <div className="field-row">
            <div className="field">
              <label htmlFor="cmpA">Version A</label>
              <select id="cmpA" value={aId} onChange={(e) => setA(e.target.value)} data-testid="compare-a">
                {versions.map((v) => (
                  <option
                    key={v.id}
                    value={v.id}
                  >{`v${v.version} · ${v.id}${v.active ? ' (active)' : ''}`}</option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="cmpB">Version B</label>
              <select id="cmpB" value={bId} onChange={(e) => setB(e.target.value)} data-testid="compare-b">
                {versions.map((v) => (
                  <option
                    key={v.id}
                    value={v.id}
                  >{`v${v.version} · ${v.id}${v.active ? ' (active)' : ''}`}</option>
                ))}
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor="cmpFolder">Folder of images (absolute path on the station)</label>
            <input
              id="cmpFolder"
              className="mono"
              value={folder}
              onChange={(e) => setFolder(e.target.value)}
              placeholder="/data/line3/test"
              data-testid="compare-folder"
            />
            <p className="hint">Up to 100 images, each scored by both versions with their own thresholds.</p>
          </div>
          <div className="form-actions">
            <button
              type="submit"
              className="btn btn-primary"
              disabled={busy || !folder.trim() || aId === bId}
              data-testid="compare-run"
            >
              {busy ? 'Scoring…' : 'Compare'}
            </button>
            {aId === bId ? <span className="field-error">Pick two different versions.</span> : null}
          </div>
        </form>
      )}
      {error ? (
        <Notice tone="bad" title="Compare failed">
          {describeError(error)}
        </Notice>
      ) : null}
      {result ? (
        <div className="stack-tight" data-testid="compare-result">
          <p>
            <strong data-testid="compare-agreement">
              {formatRate(result.agreement, result.scored)} agree
            </strong>{' '}
            <span className="muted small">
              on {result.scored} images in {(result.ms / 1000).toFixed(1)} s
              {result.skipped ? `; ${result.skipped} more not scored (limit)` : ''}. Changes:{' '}
              {Object.entries(result.matrix)
                .filter(([k]) => k.split('→')[0] !== k.split('→')[1])
                .map(([k, n]) => `${k} ×${n}`)
                .join(', ') || 'none'}
            </span>
          </p>
          <DataTable
            testId="compare-table"
            caption="Per-image comparison"
            columns={columns}
            rows={result.rows}
            rowKey={(r) => r.file}
            empty="No images."
            fixed
          />
        </div>
      ) : null}
    </Card>
  );
}

function ImportCard({ onDone }: { onDone: (v: ModelVersionDto) => void }) {
  const { client } = useStation();
  const { settings } = useSettings();
  const actor = settings?.operatorName?.trim() || 'operator';
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const v = await client.call('models.import', {
        path: path.trim(),
        actor,
        reason: reason.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      setResult({
        ok: true,
        text: `Imported as v${v.version} (${v.id}), ${v.kind === 'anomalib' ? 'anomalib export' : 'native package'}, ${v.inputSize.width}×${v.inputSize.height} input. Not deployed.`,
      });
      setPath('');
      setReason('');
      onDone(v);
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Import a model package" testId="import-card">
      <form className="form" onSubmit={submit} noValidate aria-label="Import model">
        <div className="field">
          <label htmlFor="importPath">Package folder or .onnx file (absolute path on the station)</label>
          <input
            id="importPath"
            className="mono"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/media/usb/padim_export/model.onnx"
            data-testid="import-path"
          />
          <p className="hint">
            Ours: <code>model.onnx</code> + <code>model.json</code>. anomalib: the exported ONNX (outputs{' '}
            <code>pred_score</code> and <code>anomaly_map</code>) with its <code>metadata.json</code> if
            present. Checked by loading and running it once.
          </p>
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor="importName">Name (optional)</label>
            <input
              id="importName"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="vendor padim"
            />
          </div>
          <ReasonField id="importReason" testId="import-reason" value={reason} onChange={setReason} />
        </div>
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || !path.trim() || !reason.trim()}
            data-testid="import-run"
          >
            {busy ? 'Checking…' : 'Import'}
          </button>
        </div>
        {result ? (
          <Notice
            tone={result.ok ? 'ok' : 'bad'}
            title={result.ok ? 'Imported' : 'Not imported'}
            testId="import-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function CandidatesCard() {
  const { client } = useStation();
  const { settings } = useSettings();
  const list = useApi('candidates.list', { limit: 1 });
  useEvent('review.recorded', () => list.reload());
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <Card title="False alarms for the next training" testId="candidates-card">
      <p>
        {list.data ? (
          <>
            <strong data-testid="candidates-count">{list.data.total}</strong> parts reviewed as false alarms.
            One click copies their images into <code className="mono">{list.data.folder}</code>; add them to
            the good-image folder you train on.
          </>
        ) : (
          'Loading…'
        )}
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          disabled={busy || !list.data || list.data.total === 0}
          data-testid="candidates-export"
          onClick={() => {
            setBusy(true);
            setResult(null);
            client
              .call('candidates.export', { actor: settings?.operatorName?.trim() || 'operator' })
              .then((r) =>
                setResult({
                  ok: true,
                  text: `${r.copied} copied, ${r.alreadyThere} already there${r.missingImage ? `, ${r.missingImage} without a stored image` : ''} → ${r.folder}`,
                }),
              )
              .catch((err: unknown) => setResult({ ok: false, text: describeError(err) }))
              .finally(() => {
                setBusy(false);
                list.reload();
              });
          }}
        >
          Add reviewed false alarms to the good-image folder
        </button>
      </div>
      {result ? (
        <Notice tone={result.ok ? 'ok' : 'bad'} title={result.ok ? 'Exported' : 'Export failed'}>
          {result.text}
        </Notice>
      ) : null}
    </Card>
  );
}
