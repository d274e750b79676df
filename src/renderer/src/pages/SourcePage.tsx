// Frame source setup: pick a camera found on this PC, a stream, a video file, a hot folder or a
// replay folder; take a test capture and look at it; only then switch the line over (audited).
import { useState, type FormEvent } from 'react';
import type { CameraDeviceDto, SourceTestResult } from '@shared/api';
import type { StationState } from '@shared/station';
import { Card, Facts } from '../components/Card';
import { Icon } from '../components/Icon';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill } from '../components/StatusBadge';
import { useSettings } from '../hooks/settings';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { describeError } from '../transport';
import { TextField } from '../components/TextField';

type Kind = 'camera' | 'stream' | 'file' | 'hotFolder' | 'replay';

const KINDS: Array<{ kind: Kind; label: string; hint: string }> = [
  { kind: 'camera', label: 'Camera on this PC', hint: 'USB / built-in camera, through ffmpeg' },
  { kind: 'stream', label: 'Network stream', hint: 'RTSP or HTTP(S) camera / encoder' },
  { kind: 'file', label: 'Video file', hint: 'A recording played like a camera' },
  { kind: 'hotFolder', label: 'Hot folder', hint: 'A camera program drops one image per part' },
  { kind: 'replay', label: 'Replay folder', hint: 'Images of a folder, in name order' },
];

export interface SourceDraft {
  kind: Kind;
  device: string;
  url: string;
  file: string;
  folder: string;
  width: string;
  height: string;
  fps: string;
  afterRead: 'keep' | 'delete' | 'move';
  loop: boolean;
}

const EMPTY: SourceDraft = {
  kind: 'hotFolder',
  device: '',
  url: '',
  file: '',
  folder: '',
  width: '640',
  height: '480',
  fps: '10',
  afterRead: 'keep',
  loop: true,
};

/** Form → source config the station validates again; local checks only catch the obvious. */
export function configOf(d: SourceDraft, cameras: CameraDeviceDto[]): Record<string, unknown> | string {
  const size = { width: Number(d.width), height: Number(d.height), fps: Number(d.fps) };
  const sizeOk =
    Number.isInteger(size.width) && Number.isInteger(size.height) && size.width >= 16 && size.height >= 16;
  switch (d.kind) {
    case 'camera': {
      const cam = cameras.find((c) => c.device === d.device);
      if (!cam) return 'Pick a camera.';
      if (!sizeOk) return 'Enter the frame width and height in pixels.';
      return {
        kind: 'camera',
        input: { type: 'device', device: cam.device, inputFormat: cam.inputFormat },
        ...size,
      };
    }
    case 'stream':
      if (!/^(rtsp|rtsps|http|https):\/\//i.test(d.url.trim())) return 'Enter an rtsp:// or http(s):// URL.';
      if (!sizeOk) return 'Enter the frame width and height in pixels.';
      return { kind: 'camera', input: { type: 'url', url: d.url.trim() }, ...size };
    case 'file':
      if (!d.file.trim()) return 'Enter the path of the video file.';
      if (!sizeOk) return 'Enter the frame width and height in pixels.';
      return { kind: 'camera', input: { type: 'file', path: d.file.trim(), loop: d.loop }, ...size };
    case 'hotFolder':
      if (!d.folder.trim()) return 'Enter the folder the camera writes to.';
      return { kind: 'hotFolder', folder: d.folder.trim(), afterRead: d.afterRead };
    case 'replay':
      if (!d.folder.trim()) return 'Enter the folder to replay.';
      return { kind: 'replay', folder: d.folder.trim(), fps: Number(d.fps) || 0, loop: d.loop };
  }
}

function draftFrom(current: Record<string, unknown> | null): SourceDraft {
  if (!current) return EMPTY;
  const c = current as {
    kind: string;
    folder?: string;
    fps?: number;
    loop?: boolean;
    afterRead?: SourceDraft['afterRead'];
    width?: number;
    height?: number;
    input?: { type: string; device?: string; url?: string; path?: string; loop?: boolean };
  };
  const base = {
    ...EMPTY,
    width: String(c.width ?? EMPTY.width),
    height: String(c.height ?? EMPTY.height),
    fps: String(c.fps ?? EMPTY.fps),
    loop: c.loop ?? c.input?.loop ?? true,
  };
  if (c.kind === 'hotFolder')
    return { ...base, kind: 'hotFolder', folder: c.folder ?? '', afterRead: c.afterRead ?? 'keep' };
  if (c.kind === 'replay') return { ...base, kind: 'replay', folder: c.folder ?? '' };
  if (c.input?.type === 'device') return { ...base, kind: 'camera', device: c.input.device ?? '' };
  if (c.input?.type === 'url') return { ...base, kind: 'stream', url: c.input.url ?? '' };
  if (c.input?.type === 'file') return { ...base, kind: 'file', file: c.input.path ?? '' };
  return base;
}

export function SourcePage() {
  const options = useApi('sources.options', {});
  const stateApi = useApi('station.state', {});
  const [pushed, setPushed] = useState<StationState | null>(null);
  useEvent('station.state', setPushed);
  const state = pushed ?? stateApi.data ?? null;
  return (
    <Page
      id="source"
      title="Frame source"
      subtitle="Where the line's images come from: test a source before switching to it"
      actions={
        <button type="button" className="btn" onClick={options.reload} disabled={options.loading}>
          <Icon name="refresh" /> Look for cameras again
        </button>
      }
    >
      {options.error ? (
        <ErrorNotice error={options.error} what="the source options" onRetry={options.reload} />
      ) : null}
      <CurrentSourceCard state={state} />
      {options.data ? (
        <SourceForm
          cameras={options.data.cameras}
          ffmpegPath={options.data.ffmpegPath}
          current={options.data.current}
          onSwitched={options.reload}
        />
      ) : options.error ? null : (
        <Loading what="cameras on this PC" />
      )}
    </Page>
  );
}

function CurrentSourceCard({ state }: { state: StationState | null }) {
  const src = state?.source ?? null;
  return (
    <Card
      title="The line now"
      testId="source-current"
      aside={
        src ? (
          <Pill tone={src.state.kind === 'running' ? 'ok' : src.state.kind === 'error' ? 'bad' : 'neutral'}>
            {src.state.kind}
          </Pill>
        ) : (
          <Pill tone="neutral">no source</Pill>
        )
      }
    >
      <Facts
        items={[
          { label: 'Source', value: src?.label ?? '—', mono: true, testId: 'source-current-label' },
          { label: 'State', value: src?.state.message ?? state?.message ?? '—' },
          { label: 'Station', value: state?.status ?? '…' },
        ]}
      />
    </Card>
  );
}

function SourceForm({
  cameras,
  ffmpegPath,
  current,
  onSwitched,
}: {
  cameras: CameraDeviceDto[];
  ffmpegPath: string | null;
  current: Record<string, unknown> | null;
  onSwitched: () => void;
}) {
  const { client } = useStation();
  const { settings } = useSettings();
  const [draft, setDraft] = useState<SourceDraft>(() => draftFrom(current));
  const [problem, setProblem] = useState<string | null>(null);
  const [testing, setTesting] = useState(false);
  const [switching, setSwitching] = useState(false);
  const [shot, setShot] = useState<{ key: string; result: SourceTestResult } | null>(null);
  const [switched, setSwitched] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const set = <K extends keyof SourceDraft>(k: K, v: SourceDraft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setSwitched(null);
  };
  const config = configOf(draft, cameras);
  const key = typeof config === 'string' ? '' : JSON.stringify(config);
  // Switching is offered only for exactly the settings whose test capture is on screen.
  const tested = shot !== null && shot.key === key;

  async function test(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSwitched(null);
    if (typeof config === 'string') {
      setProblem(config);
      return;
    }
    setProblem(null);
    setTesting(true);
    try {
      const result = await client.call('sources.test', { source: config });
      setShot({ key, result });
    } catch (err) {
      setShot(null);
      setError(err);
    } finally {
      setTesting(false);
    }
  }

  async function switchLine() {
    if (typeof config === 'string') return;
    setError(null);
    setSwitching(true);
    try {
      const actor = settings?.operatorName || undefined;
      const state = await client.call(
        'station.start',
        actor ? { source: config, actor } : { source: config },
      );
      setSwitched(state.source?.label ?? 'the new source');
      onSwitched();
    } catch (err) {
      setError(err);
    } finally {
      setSwitching(false);
    }
  }

  const needsFfmpeg = draft.kind === 'camera' || draft.kind === 'stream' || draft.kind === 'file';
  const sized = needsFfmpeg;
  const cam = cameras.find((c) => c.device === draft.device);
  const sizes = cam ? [...new Set(cam.formats.flatMap((f) => f.sizes))] : [];

  return (
    <div className="grid-2 source-grid">
      <Card title="Choose a source" testId="source-form-card">
        <form className="form" onSubmit={test} noValidate aria-label="Frame source">
          <fieldset className="source-kinds">
            <legend className="sr-only">Kind of source</legend>
            {KINDS.map((k) => (
              <label key={k.kind} className={`source-kind ${draft.kind === k.kind ? 'chosen' : ''}`}>
                <input
                  type="radio"
                  name="kind"
                  value={k.kind}
                  checked={draft.kind === k.kind}
                  onChange={() => set('kind', k.kind)}
                  data-testid={`source-kind-${k.kind}`}
                />
                <span className="source-kind-label">{k.label}</span>
                <span className="hint">{k.hint}</span>
              </label>
            ))}
          </fieldset>

          {needsFfmpeg && !ffmpegPath ? (
            <Notice tone="warn" title="ffmpeg not found">
              Cameras, streams and video files are read through ffmpeg, which is not installed on this PC.
            </Notice>
          ) : null}

          {draft.kind === 'camera' ? (
            <div className="field">
              <label htmlFor="src-device">Camera</label>
              {cameras.length === 0 ? (
                <p className="hint" data-testid="source-no-cameras">
                  No camera found on this PC. Plug one in and press “Look for cameras again”.
                </p>
              ) : (
                <select
                  id="src-device"
                  value={draft.device}
                  onChange={(e) => set('device', e.target.value)}
                  data-testid="source-device"
                >
                  <option value="">Choose…</option>
                  {cameras.map((c) => (
                    <option key={c.device} value={c.device}>
                      {c.name} ({c.device})
                    </option>
                  ))}
                </select>
              )}
              {sizes.length > 0 ? <p className="hint">Sizes it offers: {sizes.join(', ')}</p> : null}
            </div>
          ) : null}
          {draft.kind === 'stream' ? (
            <TextField
              id="src-url"
              label="Stream URL"
              value={draft.url}
              placeholder="rtsp://192.168.1.20:554/stream1"
              onChange={(v) => set('url', v)}
              testId="source-url"
            />
          ) : null}
          {draft.kind === 'file' ? (
            <TextField
              id="src-file"
              label="Video file on the station"
              value={draft.file}
              placeholder="/data/recordings/line3.mp4"
              onChange={(v) => set('file', v)}
              testId="source-file"
            />
          ) : null}
          {draft.kind === 'hotFolder' || draft.kind === 'replay' ? (
            <TextField
              id="src-folder"
              label="Folder on the station"
              value={draft.folder}
              placeholder="/data/line3/incoming"
              onChange={(v) => set('folder', v)}
              testId="source-folder"
            />
          ) : null}
          {draft.kind === 'hotFolder' ? (
            <div className="field">
              <label htmlFor="src-after">After a file is inspected</label>
              <select
                id="src-after"
                value={draft.afterRead}
                onChange={(e) => set('afterRead', e.target.value as SourceDraft['afterRead'])}
              >
                <option value="keep">Keep it</option>
                <option value="move">Move it to the “done” subfolder</option>
                <option value="delete">Delete it</option>
              </select>
              <p className="hint">The test capture never moves or deletes anything.</p>
            </div>
          ) : null}
          {sized ? (
            <div className="field-row">
              <div className="field">
                <label htmlFor="src-width">Width (px)</label>
                <input
                  id="src-width"
                  inputMode="numeric"
                  value={draft.width}
                  onChange={(e) => set('width', e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="src-height">Height (px)</label>
                <input
                  id="src-height"
                  inputMode="numeric"
                  value={draft.height}
                  onChange={(e) => set('height', e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="src-fps">Frames / s</label>
                <input
                  id="src-fps"
                  inputMode="decimal"
                  value={draft.fps}
                  onChange={(e) => set('fps', e.target.value)}
                />
              </div>
            </div>
          ) : null}
          {draft.kind === 'replay' ? (
            <div className="field-row">
              <div className="field">
                <label htmlFor="src-rfps">Frames / s (0 = as fast as inspected)</label>
                <input
                  id="src-rfps"
                  inputMode="decimal"
                  value={draft.fps}
                  onChange={(e) => set('fps', e.target.value)}
                />
              </div>
            </div>
          ) : null}
          {draft.kind === 'replay' || draft.kind === 'file' ? (
            <label className="check">
              <input type="checkbox" checked={draft.loop} onChange={(e) => set('loop', e.target.checked)} />{' '}
              Start again at the end
            </label>
          ) : null}

          {problem ? (
            <p className="field-error" role="alert" data-testid="source-problem">
              {problem}
            </p>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="btn" disabled={testing} data-testid="source-test">
              <Icon name="live" /> {testing ? 'Capturing…' : 'Test capture'}
            </button>
          </div>
        </form>
      </Card>

      <Card
        title="Test capture"
        testId="source-preview-card"
        aside={tested ? <Pill tone="ok">looks right?</Pill> : null}
      >
        {error ? (
          <p className="field-error" role="alert" data-testid="source-error">
            {describeError(error)}
          </p>
        ) : null}
        {shot ? (
          <div className="source-preview">
            <img
              src={`data:image/jpeg;base64,${shot.result.jpegBase64}`}
              width={shot.result.width}
              height={shot.result.height}
              alt="First frame of the tested source"
              data-testid="source-preview"
            />
            <Facts
              items={[
                { label: 'Source', value: shot.result.label, mono: true },
                ...(shot.result.name ? [{ label: 'File', value: shot.result.name, mono: true }] : []),
                { label: 'Frame', value: `${shot.result.frameWidth} × ${shot.result.frameHeight} px` },
                { label: 'First frame after', value: `${(shot.result.elapsedMs / 1000).toFixed(1)} s` },
              ]}
            />
            {!tested ? (
              <p className="hint">The settings changed since this capture: test again before switching.</p>
            ) : null}
          </div>
        ) : (
          <p className="muted">Press “Test capture” to see the first frame of the source here.</p>
        )}
        {switched ? (
          <Notice tone="ok" title="The line runs on the new source" testId="source-switched">
            {switched} — recorded in the audit trail.
          </Notice>
        ) : null}
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-go"
            disabled={!tested || switching}
            onClick={() => void switchLine()}
            data-testid="source-switch"
          >
            <Icon name="check" /> {switching ? 'Switching…' : 'Switch the line to this source'}
          </button>
        </div>
      </Card>
    </div>
  );
}
