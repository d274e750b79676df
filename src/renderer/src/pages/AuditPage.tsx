import { useEffect, useRef, useState } from 'react';
import type { AuditRow, AuditVerification } from '@shared/api';
import { Card, Facts } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatCount, formatTime, shortHash } from '../components/format';
import { Icon } from '../components/Icon';
import { ErrorNotice, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { describeError } from '../transport';

const PAGE_SIZE = 50;

export function AuditPage() {
  // Keyset paging: each entry is the beforeId that produced a page (undefined = newest), so
  // "newer" is a pop and never has to guess ids that may have been appended meanwhile.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const beforeId = cursors[cursors.length - 1];
  const onNewest = cursors.length === 1;
  const list = useApi(
    'audit.list',
    beforeId === undefined ? { limit: PAGE_SIZE } : { beforeId, limit: PAGE_SIZE },
  );
  // A checkpoint the QA engineer kept outside the station; verification also checks against it.
  const [kept, setKept] = useState<{ name: string; text: string } | null>(null);
  const verify = useApi('audit.verify', kept ? { checkpoint: kept.text } : {});
  const [selected, setSelected] = useState<AuditRow | null>(null);
  const [unseen, setUnseen] = useState(0);
  const verifyTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (verifyTimer.current) clearTimeout(verifyTimer.current);
    },
    [],
  );

  useEvent('audit.appended', () => {
    // Jumping an auditor who is reading older pages back to the top would lose their place,
    // so only the newest page refreshes itself; elsewhere we count and offer a link.
    if (onNewest) list.reload();
    else setUnseen((n) => n + 1);
    // Re-verify after a burst of changes settles: the chain is O(rows) to check.
    if (verifyTimer.current) clearTimeout(verifyTimer.current);
    verifyTimer.current = setTimeout(verify.reload, 800);
  });

  const page = (next: Array<number | undefined>) => {
    setCursors(next);
    // A detail card for a row that is no longer in the table would be confusing.
    setSelected(null);
  };

  const goNewest = () => {
    setCursors([undefined]);
    setUnseen(0);
    setSelected(null);
  };

  const rows = list.data?.rows ?? [];
  const nextBeforeId = list.data?.nextBeforeId ?? null;

  const columns: Array<Column<AuditRow>> = [
    { key: 'id', header: '#', className: 'col-id num', render: (r) => r.id },
    { key: 'at', header: 'Time', className: 'col-time mono', render: (r) => formatTime(r.at) },
    {
      key: 'actor',
      header: 'Actor',
      className: 'col-actor',
      render: (r) => (
        <span className="clip" title={r.actor}>
          {r.actor}
        </span>
      ),
    },
    {
      key: 'action',
      header: 'Action',
      className: 'col-action',
      render: (r) => <span className="tag">{r.action}</span>,
    },
    {
      key: 'entity',
      header: 'Entity',
      className: 'col-entity mono',
      render: (r) => (
        <span className="clip" title={r.entity}>
          {r.entity}
        </span>
      ),
    },
    {
      key: 'change',
      header: 'Old → new',
      className: 'col-change',
      render: (r) => <Change oldValue={r.oldValue} newValue={r.newValue} />,
    },
    {
      key: 'reason',
      header: 'Reason',
      className: 'col-reason',
      render: (r) =>
        r.reason ? (
          <span className="clamp-2" title={r.reason}>
            {r.reason}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      key: 'hash',
      header: 'Hash',
      className: 'col-hash mono',
      render: (r) => <span title={r.hash}>{shortHash(r.hash)}</span>,
    },
  ];

  const total = list.data?.total;
  const badId = verify.data && !verify.data.ok ? verify.data.firstBadId : null;
  const range =
    rows.length > 0 ? `#${rows[0].id} – #${rows[rows.length - 1].id}` : list.loading ? 'loading…' : 'no rows';

  return (
    <Page
      id="audit"
      title="Audit trail"
      subtitle="Who changed what, when and why. Every row and every inspection is chained by its hash and the chain ends are signed with the station's key, so edits, insertions and deletions are detectable."
    >
      <VerifyBanner state={verify} />
      <CheckpointCard kept={kept} onKept={setKept} />

      {list.error ? <ErrorNotice error={list.error} what="the audit trail" onRetry={list.reload} /> : null}
      {!onNewest && unseen > 0 ? (
        <Notice
          tone="info"
          title={`${unseen} new ${unseen === 1 ? 'entry' : 'entries'} since you opened this page`}
          action={
            <button type="button" className="btn" onClick={goNewest}>
              Go to newest
            </button>
          }
        />
      ) : null}

      <Card
        title="Entries, newest first"
        testId="audit-card"
        aside={
          <div className="pager" data-testid="audit-pager">
            <span className="muted small">
              Page {cursors.length} · {range}
              {total !== undefined ? ` · ${formatCount(total)} in total` : ''}
            </span>
            <button
              type="button"
              className="btn"
              disabled={onNewest || list.loading}
              onClick={() => page(cursors.slice(0, -1))}
            >
              <Icon name="chevronLeft" /> Newer
            </button>
            <button
              type="button"
              className="btn"
              disabled={nextBeforeId === null || list.loading}
              onClick={() => nextBeforeId !== null && page([...cursors, nextBeforeId])}
            >
              Older <Icon name="chevronRight" />
            </button>
          </div>
        }
      >
        <DataTable
          testId="audit-table"
          fixed
          caption="Audit trail entries"
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          selectedKey={selected?.id ?? null}
          onRowClick={(r) => setSelected((s) => (s?.id === r.id ? null : r))}
          rowClassName={(r) => (badId !== null && r.id === badId ? 'row-bad' : undefined)}
          empty={list.loading ? 'Loading…' : 'The audit trail is empty.'}
        />
        <p className="muted small table-foot">Click a row to see its full values and hashes.</p>
      </Card>

      {selected ? <RowDetail row={selected} onClose={() => setSelected(null)} /> : null}
    </Page>
  );
}

function Change({ oldValue, newValue }: { oldValue: string | null; newValue: string | null }) {
  if (oldValue === null && newValue === null) return <span className="muted">—</span>;
  return (
    <span className="change">
      <span className="change-old clip" title={oldValue ?? ''}>
        {oldValue ?? '—'}
      </span>
      <span className="change-arrow" aria-label="changed to">
        →
      </span>
      <span className="change-new clip" title={newValue ?? ''}>
        {newValue ?? '—'}
      </span>
    </span>
  );
}

function VerifyBanner({
  state,
}: {
  state: { data: AuditVerification | undefined; error: unknown; loading: boolean; reload: () => void };
}) {
  const button = (
    <button
      type="button"
      className="btn"
      onClick={state.reload}
      disabled={state.loading}
      data-testid="reverify"
    >
      <Icon name="refresh" /> {state.loading ? 'Verifying…' : 'Re-verify'}
    </button>
  );
  if (state.error) {
    return (
      <Notice tone="bad" title="Could not verify the chain" action={button} testId="verify-banner">
        {describeError(state.error)}
      </Notice>
    );
  }
  const v = state.data;
  if (!v) return <Notice tone="info" title="Verifying the hash chain…" testId="verify-banner" />;
  const counted = `${formatCount(v.checkedRows)} audit ${v.checkedRows === 1 ? 'row' : 'rows'}, ${formatCount(
    v.checkedInspections ?? 0,
  )} inspections`;
  if (v.ok) {
    return (
      <Notice tone="ok" title={`Chain verified: ${counted}`} action={button} testId="verify-banner">
        Every row matches its hash and links to the row before it; every inspection matches its sealed batch
        {v.checkpointAt ? `; the chain ends match the checkpoint signed ${formatTime(v.checkpointAt)}` : ''}.
        Checked {formatTime(v.verifiedAt)}.
      </Notice>
    );
  }
  const where =
    v.scope === 'inspections'
      ? `inspection ${v.firstBadId ?? '?'}`
      : v.scope === 'checkpoint'
        ? 'the signed checkpoint'
        : `row ${v.firstBadId ?? '?'}`;
  const window = v.window
    ? ` · affected ${v.window.from ? formatTime(v.window.from) : 'start of records'} to ${
        v.window.to ? formatTime(v.window.to) : 'now'
      }`
    : '';
  return (
    <Notice
      tone="bad"
      title={`Tampering detected at ${where} (${v.damage ?? 'damaged'})`}
      action={button}
      testId="verify-banner"
    >
      <span data-testid="verify-damage">
        Damage: {v.damage ?? 'unknown'}
        {window}
      </span>
      <br />
      {v.problem ?? 'The chain does not match.'}
      <br />
      Intact before the damage: {counted} (checked {formatTime(v.verifiedAt)}). Records from there on cannot
      be trusted; keep the database file and report this to QA.
    </Notice>
  );
}

/** Export of the signed checkpoint (to keep elsewhere) and verification against a kept one. */
function CheckpointCard({
  kept,
  onKept,
}: {
  kept: { name: string; text: string } | null;
  onKept: (k: { name: string; text: string } | null) => void;
}) {
  const { client } = useStation();
  const [error, setError] = useState<unknown>(null);
  const [exported, setExported] = useState<string | null>(null);
  const exportNow = async () => {
    setError(null);
    try {
      const cp = await client.call('audit.exportCheckpoint', {});
      const name = `station-checkpoint-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
      const url = URL.createObjectURL(new Blob([JSON.stringify(cp, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExported(name);
    } catch (err) {
      setError(err);
    }
  };
  const pick = async (file: File | undefined) => {
    setError(null);
    if (!file) return;
    if (file.size > 16_384) {
      setError(new Error(`${file.name} is ${formatCount(file.size)} bytes; a checkpoint is under 2 KB.`));
      return;
    }
    onKept({ name: file.name, text: await file.text() });
  };
  return (
    <Card title="Signed checkpoint" testId="checkpoint-card">
      <p className="muted small">
        Export the latest signed checkpoint and keep it off the station (QA share, USB stick). Verifying
        against it later also detects someone who rewrote the database and replaced the station&apos;s key.
      </p>
      <div className="pager">
        <button
          type="button"
          className="btn"
          onClick={() => void exportNow()}
          data-testid="export-checkpoint"
        >
          Export checkpoint
        </button>
        <label className="btn" data-testid="kept-checkpoint">
          Verify against a kept checkpoint…
          <input
            type="file"
            accept="application/json,.json"
            hidden
            onChange={(e) => void pick(e.target.files?.[0])}
          />
        </label>
        {kept ? (
          <button type="button" className="btn" onClick={() => onKept(null)}>
            Stop using {kept.name}
          </button>
        ) : null}
      </div>
      {exported ? <p className="small">Saved {exported}.</p> : null}
      {kept ? <p className="small">Verifying against {kept.name}.</p> : null}
      {error ? <p className="field-error">{describeError(error)}</p> : null}
    </Card>
  );
}

function RowDetail({ row, onClose }: { row: AuditRow; onClose: () => void }) {
  return (
    <Card
      title={`Entry #${row.id}`}
      testId="audit-detail"
      aside={
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      }
    >
      <Facts
        items={[
          { label: 'Time', value: `${formatTime(row.at)}  (${row.at})`, mono: true },
          { label: 'Actor', value: row.actor },
          { label: 'Action', value: row.action, mono: true },
          { label: 'Entity', value: row.entity, mono: true },
          { label: 'Old value', value: <pre className="value-block">{row.oldValue ?? '—'}</pre> },
          { label: 'New value', value: <pre className="value-block">{row.newValue ?? '—'}</pre> },
          { label: 'Reason', value: row.reason ?? '—' },
          { label: 'Hash', value: row.hash, mono: true },
          { label: 'Previous hash', value: row.prevHash, mono: true },
        ]}
      />
    </Card>
  );
}
