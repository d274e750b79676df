import { useState, type FormEvent } from 'react';
import type { ExecutionProviderInfo, Settings, SystemInfo } from '@shared/api';
import { Card, Facts } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatBytes, parseValidationMessage } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill } from '../components/StatusBadge';
import { UsbDevicesCard } from '../components/UsbDevicesCard';
import { FleetCard } from '../components/FleetCard';
import { useSettings } from '../hooks/settings';
import { useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { readIdleAfterS, writeIdleAfterS } from '../lib/stale';
import { describeError, isApiError } from '../transport';

const PROVIDER_LABEL: Record<ExecutionProviderInfo['name'], string> = {
  cuda: 'CUDA (NVIDIA GPU)',
  dml: 'DirectML (Windows GPU)',
  coreml: 'Core ML (Apple)',
  webgpu: 'WebGPU',
  cpu: 'CPU',
};

export function SettingsPage() {
  const info = useApi('system.info', {});
  const { settings, error: settingsError, reload: reloadSettings } = useSettings();

  return (
    <Page
      id="settings"
      title="Settings"
      subtitle="Station facts reported by the running station, and the settings you can change"
      actions={
        <button type="button" className="btn" onClick={info.reload} disabled={info.loading}>
          <Icon name="refresh" /> Refresh facts
        </button>
      }
    >
      {info.error ? <ErrorNotice error={info.error} what="station facts" onRetry={info.reload} /> : null}
      <div className="grid-2">
        <div className="stack">
          {info.data ? (
            <RuntimeCard info={info.data} />
          ) : info.error ? null : (
            <Loading what="runtime facts" />
          )}
          {info.data ? <StorageCard info={info.data} settings={settings} /> : null}
        </div>
        <div className="stack">
          {settings ? (
            <SettingsForm settings={settings} />
          ) : settingsError ? (
            <ErrorNotice error={settingsError} what="settings" onRetry={reloadSettings} />
          ) : (
            <Loading what="settings" />
          )}
          {info.data ? <StationCard info={info.data} /> : null}
          <DisplayCard />
        </div>
      </div>
      <UsbDevicesCard />
      <FleetCard />
    </Page>
  );
}

function RuntimeCard({ info }: { info: SystemInfo }) {
  const byName = new Map(info.executionProviders.map((p) => [p.name, p]));
  // The station tries providers in order and the first usable one wins; say which one that is
  // so nobody has to work it out from the table.
  const active = info.providerOrder.find((n) => byName.get(n as ExecutionProviderInfo['name'])?.available);
  const columns: Array<Column<ExecutionProviderInfo>> = [
    {
      key: 'name',
      header: 'Provider',
      className: 'col-provider',
      render: (p) => (
        <span className="provider-name">
          <span className="mono">{p.name}</span>
          <span className="muted small">{PROVIDER_LABEL[p.name] ?? p.name}</span>
        </span>
      ),
    },
    {
      key: 'available',
      header: 'Status',
      className: 'col-status',
      render: (p) =>
        p.available ? (
          <Pill tone="ok" testId={`provider-${p.name}-status`}>
            Available
          </Pill>
        ) : (
          <Pill tone="neutral" testId={`provider-${p.name}-status`}>
            Not available
          </Pill>
        ),
    },
    {
      key: 'reason',
      header: 'Why',
      className: 'col-why',
      // Probe failures can be long native error dumps; three lines here, all of it on hover.
      render: (p) => (
        <span className="clamp-3" title={p.reason}>
          {p.reason}
        </span>
      ),
    },
  ];

  return (
    <Card
      title="Inference runtime"
      testId="runtime-card"
      aside={
        active ? (
          <Pill tone="ok" testId="active-provider">
            Will run on: {active}
          </Pill>
        ) : (
          <Pill tone="bad" testId="active-provider">
            No usable provider
          </Pill>
        )
      }
    >
      <Facts
        items={[
          { label: 'ONNX Runtime', value: info.onnxRuntimeVersion, mono: true, testId: 'fact-ort-version' },
          {
            label: 'Provider order',
            testId: 'fact-provider-order',
            value: (
              <ol className="order-chips">
                {info.providerOrder.map((n, i) => (
                  <li
                    key={n}
                    className={byName.get(n as ExecutionProviderInfo['name'])?.available ? 'ok' : 'off'}
                  >
                    <span className="order-num">{i + 1}</span>
                    {n}
                  </li>
                ))}
              </ol>
            ),
          },
        ]}
      />
      <DataTable
        testId="provider-table"
        caption="Execution providers"
        columns={columns}
        rows={info.executionProviders}
        rowKey={(p) => p.name}
        empty="The station reported no execution providers."
      />
    </Card>
  );
}

function StorageCard({ info, settings }: { info: SystemInfo; settings: Settings | undefined }) {
  const limit = settings?.retention.maxStoreBytes;
  return (
    <Card title="Storage" testId="storage-card">
      <Facts
        items={[
          { label: 'Data directory', value: info.dataDir, mono: true, testId: 'fact-data-dir' },
          { label: 'Database', value: info.databasePath, mono: true, testId: 'fact-db-path' },
          {
            label: 'Database size',
            value: formatBytes(info.databaseSizeBytes),
            testId: 'fact-db-size',
          },
          { label: 'Schema version', value: String(info.schemaVersion), mono: true, testId: 'fact-schema' },
          {
            label: 'Image store',
            testId: 'fact-image-store',
            value: (
              <span className="meter-row">
                <span>
                  {formatBytes(info.imageStoreBytes)}
                  {limit ? <span className="muted"> of {formatBytes(limit)} limit</span> : null}
                </span>
                {limit ? (
                  <meter
                    className="store-meter"
                    min={0}
                    max={limit}
                    low={limit * 0.7}
                    high={limit * 0.9}
                    optimum={0}
                    value={Math.min(info.imageStoreBytes, limit)}
                  />
                ) : null}
              </span>
            ),
          },
        ]}
      />
    </Card>
  );
}

function StationCard({ info }: { info: SystemInfo }) {
  return (
    <Card title="Station" testId="station-card">
      <Facts
        items={[
          { label: 'App version', value: info.appVersion, mono: true, testId: 'fact-app-version' },
          {
            label: 'Mode',
            value: info.mode === 'headless' ? 'Headless (browser UI)' : 'Desktop (Electron)',
            testId: 'fact-mode',
          },
          {
            label: 'Headless URL',
            value: info.headlessUrl ?? <span className="muted">Not serving (desktop only)</span>,
            mono: info.headlessUrl !== null,
            testId: 'fact-headless-url',
          },
          { label: 'Platform', value: info.platform, mono: true, testId: 'fact-platform' },
          { label: 'Node.js', value: info.nodeVersion, mono: true, testId: 'fact-node' },
          {
            label: 'Electron',
            value: info.electronVersion ?? <span className="muted">Not running under Electron</span>,
            mono: info.electronVersion !== null,
            testId: 'fact-electron',
          },
        ]}
      />
    </Card>
  );
}

// ---------- editable settings ----------

type Unit = 'MiB' | 'GiB';
const UNIT_BYTES: Record<Unit, number> = { MiB: 2 ** 20, GiB: 2 ** 30 };

interface Draft {
  operatorName: string;
  keepPassEvery: string;
  maxStore: string;
  maxStoreUnit: Unit;
}

function draftFrom(s: Settings): Draft {
  const bytes = s.retention.maxStoreBytes;
  const unit: Unit = bytes >= UNIT_BYTES.GiB ? 'GiB' : 'MiB';
  return {
    operatorName: s.operatorName,
    keepPassEvery: String(s.retention.keepPassEvery),
    maxStore: String(Number((bytes / UNIT_BYTES[unit]).toFixed(3))),
    maxStoreUnit: unit,
  };
}

type FieldKey = 'operatorName' | 'keepPassEvery' | 'maxStoreBytes' | 'reason' | '';

// Server paths (from the zod issues) → the input they belong to.
const FIELD_OF_PATH: Record<string, FieldKey> = {
  'patch.operatorName': 'operatorName',
  actor: 'operatorName',
  'patch.retention.keepPassEvery': 'keepPassEvery',
  'patch.retention.maxStoreBytes': 'maxStoreBytes',
  reason: 'reason',
};

/** Per screen, not per station: kept in this browser / window only, so it needs no audit. */
function DisplayCard() {
  const [idle, setIdle] = useState(() => String(readIdleAfterS()));
  const [saved, setSaved] = useState<string | null>(null);
  const n = Number(idle);
  const valid = Number.isFinite(n) && n >= 1 && n <= 3600;
  return (
    <Card title="This display" testId="display-card">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!valid) return;
          writeIdleAfterS(n);
          setSaved(`Live shows “waiting for parts” after ${n} s without a part.`);
        }}
      >
        <div className={`field ${valid ? '' : 'invalid'}`}>
          <label htmlFor="idleAfterS">
            Seconds without a part before Live stops showing the last verdict
          </label>
          <input
            id="idleAfterS"
            inputMode="numeric"
            value={idle}
            onChange={(e) => {
              setIdle(e.target.value);
              setSaved(null);
            }}
            data-testid="idle-after-s"
          />
          {valid ? null : <p className="field-error">Enter 1 to 3600 seconds.</p>}
        </div>
        {saved ? <p className="ok-text">{saved}</p> : null}
        <div className="form-actions">
          <button type="submit" className="btn" disabled={!valid}>
            Save for this display
          </button>
        </div>
      </form>
    </Card>
  );
}

function SettingsForm({ settings }: { settings: Settings }) {
  const { client } = useStation();
  const { replace } = useSettings();
  const [base, setBase] = useState(settings);
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings));
  const [reason, setReason] = useState('');
  const [saving, setSaving] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<FieldKey, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const initial = draftFrom(base);
  const changed = {
    operatorName: draft.operatorName !== initial.operatorName,
    keepPassEvery: draft.keepPassEvery !== initial.keepPassEvery,
    maxStore: draft.maxStore !== initial.maxStore || draft.maxStoreUnit !== initial.maxStoreUnit,
  };
  const dirty = changed.operatorName || changed.keepPassEvery || changed.maxStore;

  // Someone else changed the settings (another browser, the CLI): adopt their values unless
  // this operator is in the middle of an edit, which we must not silently overwrite.
  if (settings !== base && !dirty && !saving) {
    setBase(settings);
    setDraft(draftFrom(settings));
  }

  function set<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
    setSaved(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(null);
    setFormError(null);
    const local: Partial<Record<FieldKey, string>> = {};

    const patch: { operatorName?: string; retention?: { keepPassEvery?: number; maxStoreBytes?: number } } =
      {};
    if (changed.operatorName) patch.operatorName = draft.operatorName.trim();
    if (changed.keepPassEvery) {
      const n = Number(draft.keepPassEvery);
      if (draft.keepPassEvery.trim() === '' || !Number.isFinite(n)) local.keepPassEvery = 'Enter a number.';
      else patch.retention = { ...patch.retention, keepPassEvery: n };
    }
    if (changed.maxStore) {
      const n = Number(draft.maxStore);
      if (draft.maxStore.trim() === '' || !Number.isFinite(n)) local.maxStoreBytes = 'Enter a number.';
      else
        patch.retention = {
          ...patch.retention,
          maxStoreBytes: Math.round(n * UNIT_BYTES[draft.maxStoreUnit]),
        };
    }
    // Changes are signed by whoever is at the station now; if no operator is set yet, the
    // name being entered is the only honest signature.
    const actor = settings.operatorName.trim() || draft.operatorName.trim();
    if (!actor) local.operatorName = 'Enter an operator name first: every change is signed by the operator.';
    if (!reason.trim())
      local.reason = 'A reason is required: it is stored in the audit trail with the change.';
    if (!dirty) {
      setFormError('Nothing changed: edit a value before saving.');
      return;
    }
    setErrors(local);
    if (Object.keys(local).length > 0) return;

    setSaving(true);
    try {
      const next = await client.call('settings.update', { patch, actor, reason: reason.trim() });
      replace(next);
      setBase(next);
      setDraft(draftFrom(next));
      setReason('');
      setErrors({});
      setSaved(`Saved and recorded in the audit trail, signed by ${actor}.`);
    } catch (err) {
      // Matched on the message too: over Electron's bridge the error code may be lost.
      if (isApiError(err, 'bad_request') || /^Invalid request for /.test(describeError(err))) {
        const fields: Partial<Record<FieldKey, string>> = {};
        for (const [path, msg] of parseValidationMessage(describeError(err))) {
          const field = FIELD_OF_PATH[path];
          if (field) fields[field] = msg;
        }
        setErrors(fields);
      }
      setFormError(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  function fieldError(key: FieldKey) {
    const msg = errors[key];
    return msg ? (
      <p className="field-error" role="alert" data-testid={`error-${key}`}>
        {msg}
      </p>
    ) : null;
  }

  return (
    <Card
      title="Operator and retention"
      testId="settings-form-card"
      aside={dirty ? <Pill tone="warn">Unsaved changes</Pill> : null}
    >
      <form className="form" onSubmit={submit} noValidate aria-label="Station settings">
        <div className={`field ${errors.operatorName ? 'invalid' : ''}`}>
          <label htmlFor="operatorName">Operator name</label>
          <input
            id="operatorName"
            name="operatorName"
            autoComplete="off"
            value={draft.operatorName}
            onChange={(e) => set('operatorName', e.target.value)}
          />
          <p className="hint">Shown in the header and signs every change made at this station.</p>
          {fieldError('operatorName')}
        </div>

        <div className="field-row">
          <div className={`field ${errors.keepPassEvery ? 'invalid' : ''}`}>
            <label htmlFor="keepPassEvery">Keep 1 of every N PASS images</label>
            <input
              id="keepPassEvery"
              name="keepPassEvery"
              inputMode="numeric"
              value={draft.keepPassEvery}
              onChange={(e) => set('keepPassEvery', e.target.value)}
            />
            <p className="hint">FAIL and REVIEW images are always kept; this cannot be turned off.</p>
            {fieldError('keepPassEvery')}
          </div>
          <div className={`field ${errors.maxStoreBytes ? 'invalid' : ''}`}>
            <label htmlFor="maxStore">Image store limit</label>
            <div className="input-unit">
              <input
                id="maxStore"
                name="maxStore"
                inputMode="decimal"
                value={draft.maxStore}
                onChange={(e) => set('maxStore', e.target.value)}
              />
              <select
                aria-label="Unit"
                value={draft.maxStoreUnit}
                onChange={(e) => set('maxStoreUnit', e.target.value as Unit)}
              >
                <option value="MiB">MiB</option>
                <option value="GiB">GiB</option>
              </select>
            </div>
            <p className="hint">
              Oldest PASS samples go first when full. Inspection records are always kept.
            </p>
            {fieldError('maxStoreBytes')}
          </div>
        </div>

        <div className={`field ${errors.reason ? 'invalid' : ''}`}>
          <label htmlFor="reason">Reason for the change (required)</label>
          <textarea
            id="reason"
            name="reason"
            rows={2}
            value={reason}
            placeholder="e.g. Shift change: B. Nowak takes over line 3"
            onChange={(e) => {
              setReason(e.target.value);
              setSaved(null);
            }}
          />
          {fieldError('reason')}
        </div>

        {formError ? (
          <Notice tone="bad" title="Not saved" testId="settings-error">
            {formError}
          </Notice>
        ) : null}
        {saved ? <Notice tone="ok" title={saved} testId="settings-saved" /> : null}

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save changes'}
          </button>
          <button
            type="button"
            className="btn"
            disabled={!dirty || saving}
            onClick={() => {
              setDraft(draftFrom(settings));
              setBase(settings);
              setErrors({});
              setFormError(null);
            }}
          >
            Discard
          </button>
          <span className="muted small">
            Signed as <strong>{settings.operatorName || draft.operatorName || '—'}</strong>
          </span>
        </div>
      </form>
    </Card>
  );
}
