// Settings → USB devices: what is on the bus, the state of each output, a form for the common
// set-up (one stack light, one reject relay), a JSON editor for everything else, and test buttons.
// Refreshes on 'devices.changed' (hot-plug and output health).
import { useState, type FormEvent } from 'react';
import type { DeviceConfigView } from '@shared/api';
import type { OutputState, UsbDeviceInfo } from '@shared/devices';
import { Card } from './Card';
import { DataTable, type Column } from './DataTable';
import { ErrorNotice, Loading, Notice } from './Notice';
import { Pill, type Tone } from './StatusBadge';
import { useSettings } from '../hooks/settings';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { describeError } from '../transport';

const KIND_TONE: Record<UsbDeviceInfo['kind'], Tone> = {
  camera: 'info',
  'stack-light': 'ok',
  relay: 'ok',
  other: 'neutral',
};
const STATUS_TONE: Record<OutputState['status'], Tone> = { ok: 'ok', error: 'bad', disconnected: 'warn' };

export function UsbDevicesCard() {
  const listing = useApi('devices.list', {});
  const config = useApi('devices.config', {});
  const [outputEvents, setOutputEvents] = useState<Record<string, OutputState>>({});
  useEvent('devices.changed', (e) => {
    if (e.type === 'output') setOutputEvents((m) => ({ ...m, [e.state.deviceId]: e.state }));
    else listing.reload();
  });
  const data = listing.data;
  const outputs = (data?.outputs ?? []).map((o) => outputEvents[o.deviceId] ?? o);

  const usbColumns: Array<Column<UsbDeviceInfo>> = [
    {
      key: 'vidpid',
      header: 'vid:pid',
      className: 'col-id',
      render: (d) => <span className="mono">{d.vidPid}</span>,
    },
    {
      key: 'product',
      header: 'Product',
      render: (d) => (
        <span className="model-cell">
          <span>{d.product ?? <span className="muted">unnamed</span>}</span>
          <span className="muted small">{d.manufacturer ?? ''}</span>
        </span>
      ),
    },
    {
      key: 'kind',
      header: 'Kind',
      className: 'col-status',
      render: (d) => <Pill tone={KIND_TONE[d.kind]}>{d.kind}</Pill>,
    },
    { key: 'path', header: 'Socket', render: (d) => <span className="mono">{d.path}</span> },
  ];

  return (
    <Card
      title="USB devices"
      testId="usb-card"
      aside={
        <button type="button" className="btn" onClick={listing.reload} disabled={listing.loading}>
          Rescan
        </button>
      }
    >
      {listing.error ? (
        <ErrorNotice error={listing.error} what="the USB devices" onRetry={listing.reload} />
      ) : null}
      {!data && !listing.error ? <Loading what="USB devices" /> : null}
      {data ? (
        <>
          {data.usbError ? (
            <Notice tone="warn" title="USB cannot be used on this station" testId="usb-error">
              {data.usbError}
            </Notice>
          ) : null}
          <DataTable
            testId="usb-table"
            caption="Connected USB devices"
            columns={usbColumns}
            rows={data.usb}
            rowKey={(d) => d.id}
            empty={
              <span data-testid="usb-empty">No USB devices found{data.usbError ? ' (see above)' : ''}.</span>
            }
          />
          <h3 className="subhead">Outputs</h3>
          {outputs.length === 0 ? (
            <p className="muted" data-testid="outputs-empty">
              No outputs configured: verdicts drive no stack light or relay.
            </p>
          ) : (
            <ul className="output-list" data-testid="outputs-list">
              {outputs.map((o) => (
                <OutputRow key={o.deviceId} state={o} />
              ))}
            </ul>
          )}
        </>
      ) : null}
      {config.data ? (
        <OutputsEditor
          view={config.data}
          usb={data?.usb ?? []}
          onSaved={() => {
            config.reload();
            listing.reload();
          }}
        />
      ) : config.error ? (
        <ErrorNotice error={config.error} what="the outputs configuration" onRetry={config.reload} />
      ) : null}
    </Card>
  );
}

function OutputRow({ state }: { state: OutputState }) {
  const { client } = useStation();
  const [result, setResult] = useState<string | null>(null);
  const test = (label: string, action: Record<string, unknown>) => {
    setResult(null);
    client
      .call('devices.test', { deviceId: state.deviceId, action })
      .then((s) =>
        setResult(
          s.status === 'ok'
            ? `${label}: sent.`
            : `${label}: not delivered, the output is ${s.status} (see above); it is retried while the command is recent.`,
        ),
      )
      .catch((err: unknown) => setResult(`${label}: ${describeError(err)}`));
  };
  return (
    <li className="output-row" data-testid={`output-${state.deviceId}`}>
      <div className="output-head">
        <span className="mono">{state.deviceId}</span>
        <span className="muted small">{state.kind}</span>
        <Pill tone={STATUS_TONE[state.status]} testId={`output-status-${state.deviceId}`}>
          {state.status}
        </Pill>
        {state.retryInMs !== null ? (
          <span className="muted small">retry in {Math.ceil(state.retryInMs / 1000)} s</span>
        ) : null}
      </div>
      {state.message ? <pre className="output-message">{state.message}</pre> : null}
      <div className="form-actions">
        {state.kind === 'stack-light' ? (
          <>
            <button
              type="button"
              className="btn"
              onClick={() => test('Light red', { type: 'stack-light', state: { red: 'on' }, pulseMs: 2000 })}
              data-testid={`test-red-${state.deviceId}`}
            >
              Light red
            </button>
            <button
              type="button"
              className="btn"
              onClick={() =>
                test('Amber blink', { type: 'stack-light', state: { amber: 'pattern1' }, pulseMs: 2000 })
              }
            >
              Amber blink
            </button>
            <button
              type="button"
              className="btn"
              onClick={() =>
                test('Light green', { type: 'stack-light', state: { green: 'on' }, pulseMs: 2000 })
              }
            >
              Light green
            </button>
            <button
              type="button"
              className="btn"
              onClick={() =>
                test('Buzzer', {
                  type: 'stack-light',
                  state: { buzzer: { pattern: 'pattern1', count: 1 } },
                  pulseMs: 1000,
                })
              }
            >
              Buzzer
            </button>
          </>
        ) : (
          <button
            type="button"
            className="btn"
            onClick={() => test('Pulse relay 1', { type: 'relay', relay: 1, mode: 'pulse', pulseMs: 200 })}
            data-testid={`test-relay-${state.deviceId}`}
          >
            Pulse relay 1
          </button>
        )}
      </div>
      {result ? (
        <p className="small muted" role="status">
          {result}
        </p>
      ) : null}
    </li>
  );
}

// ---------- configuration ----------

type Lamp = 'none' | 'red' | 'amber' | 'green' | 'blue' | 'white';
const LAMPS: Lamp[] = ['none', 'red', 'amber', 'green', 'blue', 'white'];
const VERDICTS = ['PASS', 'REVIEW', 'FAIL'] as const;
type V = (typeof VERDICTS)[number];

interface FormState {
  tower: boolean;
  towerPath: string;
  lamp: Record<V, Lamp>;
  pattern: Record<V, string>;
  failBuzzer: boolean;
  failPulseMs: string;
  relay: boolean;
  relayPath: string;
  relayNumber: string;
  relayPulseMs: string;
  relayOnReview: boolean;
}

const DEFAULT_FORM: FormState = {
  tower: true,
  towerPath: '',
  lamp: { PASS: 'green', REVIEW: 'amber', FAIL: 'red' },
  pattern: { PASS: 'on', REVIEW: 'pattern1', FAIL: 'on' },
  failBuzzer: true,
  failPulseMs: '500',
  relay: true,
  relayPath: '',
  relayNumber: '1',
  relayPulseMs: '200',
  relayOnReview: false,
};

interface Action {
  type: string;
  device: string;
  state?: Record<string, unknown>;
  relay?: number;
  pulseMs?: number;
}
interface Cfg {
  devices?: Array<{ id: string; type: string; match?: { path?: string } }>;
  verdicts?: Partial<Record<V, Action[]>>;
}

/** Reads a configuration back into the form when it has the form's shape; null otherwise. */
function formFrom(raw: Record<string, unknown>): FormState | null {
  const cfg = raw as Cfg;
  const devices = cfg.devices ?? [];
  if (devices.length === 0) return { ...DEFAULT_FORM, tower: false, relay: false };
  const tower = devices.find((d) => d.id === 'tower' && d.type === 'patlite-lr6');
  const relay = devices.find((d) => d.id === 'reject-gate' && d.type === 'usb-relay');
  if (devices.length !== Number(!!tower) + Number(!!relay)) return null;
  const f: FormState = {
    ...DEFAULT_FORM,
    tower: !!tower,
    relay: !!relay,
    towerPath: tower?.match?.path ?? '',
    relayPath: relay?.match?.path ?? '',
  };
  f.lamp = { PASS: 'none', REVIEW: 'none', FAIL: 'none' };
  f.relayOnReview = false;
  for (const v of VERDICTS) {
    for (const a of cfg.verdicts?.[v] ?? []) {
      if (a.type === 'stack-light' && a.state) {
        const lamp = LAMPS.find(
          (l) => l !== 'none' && typeof a.state![l] === 'string' && a.state![l] !== 'off',
        );
        if (lamp) {
          f.lamp[v] = lamp;
          f.pattern[v] = String(a.state[lamp]);
        }
        if (v === 'FAIL') {
          f.failBuzzer =
            !!(a.state.buzzer as { pattern?: string } | undefined)?.pattern &&
            (a.state.buzzer as { pattern: string }).pattern !== 'off';
          f.failPulseMs = a.pulseMs ? String(a.pulseMs) : '';
        }
      } else if (a.type === 'relay') {
        f.relayNumber = String(a.relay ?? 1);
        f.relayPulseMs = String(a.pulseMs ?? 200);
        if (v === 'REVIEW') f.relayOnReview = true;
      }
    }
  }
  return f;
}

function configFrom(f: FormState): Record<string, unknown> {
  const devices: unknown[] = [];
  if (f.tower) {
    devices.push({
      id: 'tower',
      type: 'patlite-lr6',
      ...(f.towerPath ? { match: { path: f.towerPath } } : {}),
      ...(f.lamp.PASS !== 'none' ? { idle: { [f.lamp.PASS]: 'on' } } : {}),
    });
  }
  if (f.relay)
    devices.push({
      id: 'reject-gate',
      type: 'usb-relay',
      ...(f.relayPath ? { match: { path: f.relayPath } } : {}),
    });
  const verdicts: Record<V, unknown[]> = { PASS: [], REVIEW: [], FAIL: [] };
  for (const v of VERDICTS) {
    if (f.tower && f.lamp[v] !== 'none') {
      const state: Record<string, unknown> = { [f.lamp[v]]: f.pattern[v] };
      if (v === 'FAIL' && f.failBuzzer) state.buzzer = { pattern: 'continuous' };
      const pulse = Number(f.failPulseMs);
      verdicts[v].push({
        type: 'stack-light',
        device: 'tower',
        state,
        ...(v === 'FAIL' && f.failPulseMs.trim() && Number.isFinite(pulse) ? { pulseMs: pulse } : {}),
        ...(v === 'REVIEW' ? { holdMs: 2000 } : {}),
      });
    }
  }
  if (f.relay) {
    const action = {
      type: 'relay',
      device: 'reject-gate',
      relay: Number(f.relayNumber),
      mode: 'pulse',
      pulseMs: Number(f.relayPulseMs),
    };
    verdicts.FAIL.push(action);
    if (f.relayOnReview) verdicts.REVIEW.push(action);
  }
  return { devices, verdicts };
}

function OutputsEditor({
  view,
  usb,
  onSaved,
}: {
  view: DeviceConfigView;
  usb: UsbDeviceInfo[];
  onSaved: () => void;
}) {
  const { client } = useStation();
  const { settings } = useSettings();
  const fromServer = formFrom(view.config);
  const [mode, setMode] = useState<'form' | 'json'>(fromServer ? 'form' : 'json');
  const [form, setForm] = useState<FormState>(
    fromServer && (view.config as Cfg).devices?.length ? fromServer : DEFAULT_FORM,
  );
  const [json, setJson] = useState(() =>
    JSON.stringify((view.config as Cfg).devices?.length ? view.config : view.example, null, 2),
  );
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const towers = usb.filter((d) => d.kind === 'stack-light');
  const relays = usb.filter((d) => d.kind === 'relay');
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }));

  async function save(e: FormEvent) {
    e.preventDefault();
    setResult(null);
    let config: Record<string, unknown>;
    if (mode === 'json') {
      try {
        const parsed = JSON.parse(json) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('the configuration must be a JSON object');
        config = parsed as Record<string, unknown>;
      } catch (err) {
        setResult({ ok: false, text: `Not valid JSON: ${(err as Error).message}` });
        return;
      }
    } else {
      config = configFrom(form);
    }
    setBusy(true);
    try {
      await client.call('devices.configure', {
        config,
        actor: settings?.operatorName?.trim() || 'operator',
        reason: reason.trim(),
      });
      setResult({
        ok: true,
        text: 'Saved and applied; recorded in the audit trail. Outputs reconnect in the background.',
      });
      setReason('');
      onSaved();
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  const socketSelect = (id: string, value: string, onChange: (v: string) => void, list: UsbDeviceInfo[]) => (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">first one found (any socket)</option>
      {list.map((d) => (
        <option key={d.id} value={d.path}>{`${d.product ?? d.vidPid} at ${d.path}`}</option>
      ))}
      {value && !list.some((d) => d.path === value) ? (
        <option value={value}>{`${value} (not connected)`}</option>
      ) : null}
    </select>
  );

  return (
    <form className="form outputs-form" onSubmit={save} noValidate aria-label="Outputs configuration">
      <div className="subhead-row">
        <h3 className="subhead">Configure outputs</h3>
        <div className="segmented" role="tablist" aria-label="Editor">
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'form'}
            className={mode === 'form' ? 'on' : ''}
            onClick={() => {
              setMode('form');
              setResult(null);
            }}
            data-testid="outputs-mode-form"
          >
            Form
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'json'}
            className={mode === 'json' ? 'on' : ''}
            onClick={() => {
              setMode('json');
              setResult(null);
            }}
            data-testid="outputs-mode-json"
          >
            JSON
          </button>
        </div>
      </div>
      {mode === 'form' ? (
        <>
          {!fromServer ? (
            <Notice tone="info" title="The current configuration is richer than this form">
              Saving the form replaces it; use JSON to keep it.
            </Notice>
          ) : null}
          <fieldset className="out-group">
            <legend>
              <label>
                <input
                  type="checkbox"
                  checked={form.tower}
                  onChange={(e) => set('tower', e.target.checked)}
                  data-testid="out-tower"
                />{' '}
                Stack light (PATLITE LR6-USB, 191a:8003)
              </label>
            </legend>
            {form.tower ? (
              <>
                <div className="field">
                  <label htmlFor="towerPath">Device</label>
                  {socketSelect('towerPath', form.towerPath, (v) => set('towerPath', v), towers)}
                </div>
                <div className="verdict-actions">
                  {VERDICTS.map((v) => (
                    <div key={v} className="field">
                      <label htmlFor={`lamp-${v}`}>{v}</label>
                      <div className="input-unit">
                        <select
                          id={`lamp-${v}`}
                          value={form.lamp[v]}
                          onChange={(e) => set('lamp', { ...form.lamp, [v]: e.target.value as Lamp })}
                        >
                          {LAMPS.map((l) => (
                            <option key={l} value={l}>
                              {l === 'none' ? 'no change' : l}
                            </option>
                          ))}
                        </select>
                        <select
                          aria-label={`${v} pattern`}
                          value={form.pattern[v]}
                          disabled={form.lamp[v] === 'none'}
                          onChange={(e) => set('pattern', { ...form.pattern, [v]: e.target.value })}
                        >
                          {view.lampPatterns
                            .filter((p) => p !== 'off' && p !== 'keep')
                            .map((p) => (
                              <option key={p} value={p}>
                                {p === 'on' ? 'steady' : p.replace('pattern', 'blink ')}
                              </option>
                            ))}
                        </select>
                      </div>
                    </div>
                  ))}
                </div>
                <div className="field-row">
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={form.failBuzzer}
                      onChange={(e) => set('failBuzzer', e.target.checked)}
                    />{' '}
                    Buzzer on FAIL
                  </label>
                  <div className="field">
                    <label htmlFor="failPulse">FAIL picture lasts (ms, empty = until the next part)</label>
                    <input
                      id="failPulse"
                      inputMode="numeric"
                      value={form.failPulseMs}
                      onChange={(e) => set('failPulseMs', e.target.value)}
                    />
                  </div>
                </div>
              </>
            ) : null}
          </fieldset>
          <fieldset className="out-group">
            <legend>
              <label>
                <input
                  type="checkbox"
                  checked={form.relay}
                  onChange={(e) => set('relay', e.target.checked)}
                  data-testid="out-relay"
                />{' '}
                Reject gate (HID USB relay, 16c0:05df)
              </label>
            </legend>
            {form.relay ? (
              <div className="verdict-actions">
                <div className="field">
                  <label htmlFor="relayPath">Device</label>
                  {socketSelect('relayPath', form.relayPath, (v) => set('relayPath', v), relays)}
                </div>
                <div className="field">
                  <label htmlFor="relayNumber">Relay</label>
                  <select
                    id="relayNumber"
                    value={form.relayNumber}
                    onChange={(e) => set('relayNumber', e.target.value)}
                  >
                    {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="relayPulse">Pulse on FAIL (ms)</label>
                  <input
                    id="relayPulse"
                    inputMode="numeric"
                    value={form.relayPulseMs}
                    onChange={(e) => set('relayPulseMs', e.target.value)}
                  />
                </div>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={form.relayOnReview}
                    onChange={(e) => set('relayOnReview', e.target.checked)}
                  />{' '}
                  also on REVIEW
                </label>
              </div>
            ) : null}
          </fieldset>
        </>
      ) : (
        <div className="field">
          <label htmlFor="outputsJson">Outputs configuration (JSON, checked by the station)</label>
          <textarea
            id="outputsJson"
            className="mono json-editor"
            rows={14}
            spellCheck={false}
            value={json}
            onChange={(e) => setJson(e.target.value)}
            data-testid="outputs-json"
          />
          <div className="form-actions">
            <button
              type="button"
              className="btn"
              onClick={() => setJson(JSON.stringify(view.example, null, 2))}
            >
              Load example
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => setJson(JSON.stringify(configFrom(form), null, 2))}
            >
              From the form
            </button>
          </div>
        </div>
      )}
      <div className="field">
        <label htmlFor="outputsReason">Reason (required)</label>
        <input
          id="outputsReason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. new reject gate on line 3"
          data-testid="outputs-reason"
        />
      </div>
      <div className="form-actions">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={busy || !reason.trim()}
          data-testid="outputs-save"
        >
          {busy ? 'Saving…' : 'Save outputs'}
        </button>
      </div>
      {result ? (
        <Notice
          tone={result.ok ? 'ok' : 'bad'}
          title={result.ok ? 'Outputs saved' : 'Not saved'}
          testId="outputs-result"
        >
          {result.text}
        </Notice>
      ) : null}
    </form>
  );
}
