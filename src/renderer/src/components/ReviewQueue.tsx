// The review queue's shared parts, at a station and on the fleet server: which parts it lists
// (verdict, reviewed or not) and the list itself, one button per part, with the same empty-state
// words and "Load more".
import type { ReactNode } from 'react';

export type VerdictChoice = 'both' | 'FAIL' | 'REVIEW';
export type ReviewedChoice = 'no' | 'yes' | 'any';

export function QueueChoiceFields({
  verdict,
  reviewed,
  onChange,
  testIdPrefix,
}: {
  verdict: VerdictChoice;
  reviewed: ReviewedChoice;
  onChange: (patch: { verdict?: VerdictChoice; reviewed?: ReviewedChoice }) => void;
  testIdPrefix: string;
}) {
  return (
    <>
      <label className="mini-field">
        Verdict
        <select
          value={verdict}
          onChange={(e) => onChange({ verdict: e.target.value as VerdictChoice })}
          data-testid={`${testIdPrefix}-verdict`}
        >
          <option value="both">FAIL + REVIEW</option>
          <option value="FAIL">FAIL</option>
          <option value="REVIEW">REVIEW</option>
        </select>
      </label>
      <label className="mini-field">
        Reviewed
        <select
          value={reviewed}
          onChange={(e) => onChange({ reviewed: e.target.value as ReviewedChoice })}
          data-testid={`${testIdPrefix}-reviewed`}
        >
          <option value="no">Not yet</option>
          <option value="yes">Reviewed</option>
          <option value="any">All</option>
        </select>
      </label>
    </>
  );
}

export function QueueList<T extends { id: number }>({
  rows,
  selectedId,
  onSelect,
  loading,
  onlyUnreviewed,
  more,
  onLoadMore,
  itemClassName = 'queue-item',
  renderItem,
}: {
  rows: T[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  loading: boolean;
  /** The filter lists only parts not reviewed yet (changes what an empty list says). */
  onlyUnreviewed: boolean;
  /** More parts match than are shown. */
  more: boolean;
  onLoadMore: () => void;
  itemClassName?: string;
  renderItem: (row: T) => ReactNode;
}) {
  return (
    <>
      <ul className="queue-list" data-testid="queue-list" aria-label="Parts to review">
        {rows.length === 0 && !loading ? (
          <li className="queue-empty">
            {onlyUnreviewed ? 'Nothing left to review for this filter.' : 'No parts match this filter.'}
          </li>
        ) : null}
        {rows.map((r) => (
          <li key={r.id}>
            <button
              type="button"
              className={r.id === selectedId ? `${itemClassName} selected` : itemClassName}
              onClick={() => onSelect(r.id)}
              data-testid="queue-item"
              data-id={r.id}
              aria-current={r.id === selectedId ? 'true' : undefined}
            >
              {renderItem(r)}
            </button>
          </li>
        ))}
      </ul>
      {more && rows.length > 0 ? (
        <button type="button" className="btn load-more" onClick={onLoadMore}>
          Load more
        </button>
      ) : null}
    </>
  );
}
