// "Save as good" for one chosen inspection: the dialog previews exactly the stored frame of that
// inspection and asks for a confirmation and a reason, so what gets into the next training set is
// what the person looked at, never whatever the line shows a moment later.
import { useEffect, useState, type FormEvent } from 'react';
import type { InspectionDto, SavedGoodFrame } from '@shared/api';
import { useStation } from '../hooks/station';
import { useStoreImage } from '../hooks/useStoreImage';
import { describeError } from '../transport';
import { formatTime } from './format';
import { Icon } from './Icon';
import { StatusBadge } from './StatusBadge';

export type SaveGoodOrigin = 'live' | 'review' | 'history';

/** Why the image cannot be saved, in words; null when it can. */
export function saveGoodBlocker(i: InspectionDto): string | null {
  if (i.review?.decision === 'defect_confirmed')
    return `QA confirmed this part as a defect (${i.review.reviewer}); change the decision in Review first.`;
  if (!i.imageRef || i.evictedAt) {
    if (i.evictedAt) return `Its image was removed by retention (${formatTime(i.evictedAt)}).`;
    if (i.storeError) return `Its image was not stored (${i.storeError}).`;
    return 'Its image was not kept (only every n-th PASS image is; see Settings → retention).';
  }
  return null;
}

export function SaveGoodButton({
  inspectionId,
  from,
  small,
  label = 'Save as good…',
  testId = 'save-good',
  disabledReason,
}: {
  inspectionId: number | null;
  from: SaveGoodOrigin;
  small?: boolean;
  label?: string;
  testId?: string;
  /** Shown as the tooltip while there is nothing to save yet. */
  disabledReason?: string;
}) {
  // Pinned at the click: the dialog keeps showing this part even if the line moves on.
  const [open, setOpen] = useState<number | null>(null);
  return (
    <>
      <button
        type="button"
        className={small ? 'btn btn-small' : 'btn'}
        onClick={() => inspectionId !== null && setOpen(inspectionId)}
        disabled={inspectionId === null}
        data-testid={testId}
        title={
          inspectionId === null
            ? (disabledReason ?? 'Nothing to save yet')
            : `Copy the image of inspection #${inspectionId} into the good-candidates folder for the next training`
        }
      >
        <Icon name="check" /> {label}
      </button>
      {open !== null ? (
        <SaveGoodDialog inspectionId={open} from={from} onClose={() => setOpen(null)} />
      ) : null}
    </>
  );
}

export function SaveGoodDialog({
  inspectionId,
  from,
  onClose,
}: {
  inspectionId: number;
  from: SaveGoodOrigin;
  onClose: () => void;
}) {
  const { client } = useStation();
  const [inspection, setInspection] = useState<InspectionDto | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<SavedGoodFrame | null>(null);
  const image = useStoreImage(inspection?.imageRef);

  useEffect(() => {
    let live = true;
    client.call('inspections.get', { id: inspectionId }).then(
      (d) => live && setInspection(d.inspection),
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [client, inspectionId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const blocker = inspection ? saveGoodBlocker(inspection) : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!inspection || blocker) return;
    setBusy(true);
    setError(null);
    try {
      setSaved(
        await client.call('station.saveFrameAsGood', {
          inspectionId: inspection.id,
          from,
          reason: reason.trim(),
          // Replaced by the signed-in person on the station side.
          actor: 'operator',
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="modal-backdrop"
      role="presentation"
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      <form
        className="modal modal-wide"
        role="dialog"
        aria-modal="true"
        aria-label={`Save inspection ${inspectionId} as good`}
        onSubmit={(e) => void submit(e)}
        data-testid="save-good-dialog"
      >
        <h2>Save inspection #{inspectionId} as good?</h2>
        {loadError ? (
          <p className="field-error" role="alert">
            {describeError(loadError)}
          </p>
        ) : !inspection ? (
          <p className="muted">Loading the inspection…</p>
        ) : (
          <>
            <div className="save-good-preview">
              {image.url ? (
                <img src={image.url} alt={`Inspection ${inspection.id}`} data-testid="save-good-preview" />
              ) : (
                <div className="save-good-noimage muted small">
                  {inspection.imageRef
                    ? image.error
                      ? describeError(image.error)
                      : 'Loading image…'
                    : 'No image'}
                </div>
              )}
              <dl className="save-good-facts">
                <dt>Verdict</dt>
                <dd>
                  <StatusBadge verdict={inspection.verdict} size="sm" />{' '}
                  <span className="mono small">{inspection.normScore.toFixed(3)}</span>
                </dd>
                <dt>Inspected</dt>
                <dd className="mono small">{formatTime(inspection.at)}</dd>
                <dt>Source</dt>
                <dd className="mono small clip" title={inspection.source}>
                  {inspection.source}
                </dd>
                <dt>Model</dt>
                <dd className="mono small clip">{inspection.modelId}</dd>
                {inspection.review ? (
                  <>
                    <dt>QA</dt>
                    <dd className="small">
                      {inspection.review.decision.replace('_', ' ')} ({inspection.review.reviewer})
                    </dd>
                  </>
                ) : null}
              </dl>
            </div>
            {blocker ? (
              <p className="field-error" role="alert" data-testid="save-good-blocked">
                This image cannot be saved as good. {blocker}
              </p>
            ) : saved ? null : (
              <>
                <p className="small">
                  The image above goes into the <strong>good-candidates</strong> folder and is used when the
                  next model is trained: only save parts you have checked are good.
                  {inspection.verdict !== 'PASS'
                    ? ` The model judged this part ${inspection.verdict}: a wrong "good" teaches it to pass defects.`
                    : ''}
                </p>
                <div className="field">
                  <label htmlFor="save-good-reason">Why is it good? (recorded in the audit trail)</label>
                  <input
                    id="save-good-reason"
                    value={reason}
                    maxLength={500}
                    autoFocus
                    placeholder="e.g. checked at the bench: no scratch, lighting glare"
                    onChange={(e) => setReason(e.target.value)}
                    data-testid="save-good-reason"
                  />
                </div>
              </>
            )}
          </>
        )}
        {error ? (
          <p className="field-error" role="alert" data-testid="save-good-error">
            {describeError(error)}
          </p>
        ) : null}
        {saved ? (
          <p className="hint ok-text" role="status" data-testid="save-good-result">
            Saved as good: <span className="mono">{saved.path}</span>
            {saved.original ? ' (original frame)' : ' (stored copy)'}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose} data-testid="save-good-cancel">
            {saved ? 'Close' : 'Cancel'}
          </button>
          {saved ? null : (
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!inspection || blocker !== null || busy || reason.trim().length === 0}
              data-testid="save-good-confirm"
            >
              <Icon name="check" /> {busy ? 'Saving…' : 'Save as good'}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
