// The QA decision on one FAIL/REVIEW part, the same at a station and on the fleet server: defect
// type, the reason a false alarm needs, and, once the part is decided, "Change decision" with the
// reason the change needs. Enter in a field decides, so a reviewer never leaves the keyboard.
import type { RefObject } from 'react';
import { Icon } from './Icon';

export type Decision = 'defect_confirmed' | 'false_alarm';

export interface DecisionDraft {
  defectType: string;
  reason: string;
  changeReason: string;
  /** The reviewer pressed "Change decision" on a decided part. */
  changing: boolean;
}

export const EMPTY_DECISION: DecisionDraft = {
  defectType: '',
  reason: '',
  changeReason: '',
  changing: false,
};

/** Defect names offered while typing (free text stays allowed). */
const DEFECT_TYPES = [
  'scratch',
  'dent',
  'crack',
  'contamination',
  'missing feature',
  'discoloration',
  'misprint',
];

export function DecisionForm({
  idPrefix,
  draft,
  onDraft,
  decided,
  busy,
  onDecide,
  message,
  shortcuts = false,
  reasonRef,
}: {
  /** Prefix of the fields' ids ('' at a station, 'fleet-' on the fleet server). */
  idPrefix: string;
  draft: DecisionDraft;
  onDraft: (next: DecisionDraft) => void;
  decided: boolean;
  busy: boolean;
  onDecide: (d: Decision) => void;
  message: { ok: boolean; text: string } | null;
  /** Show the D / G keys on the buttons and the key legend (the page handles the keys). */
  shortcuts?: boolean;
  reasonRef?: RefObject<HTMLInputElement | null>;
}) {
  const set = (part: Partial<DecisionDraft>) => onDraft({ ...draft, ...part });
  const enterDecides = (d: Decision) => (e: React.KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      onDecide(d);
    }
  };
  const locked = busy || (decided && !draft.changing);
  const listId = `${idPrefix}defect-types`;
  // The station's reason field kept its original id ("review-reason") for bookmarks and tests.
  const reasonId = idPrefix ? `${idPrefix}reason` : 'review-reason';
  return (
    <div className="decide" data-testid="decide">
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${idPrefix}defect-type`}>Defect type (optional{shortcuts ? ', for D' : ''})</label>
          <input
            id={`${idPrefix}defect-type`}
            list={listId}
            value={draft.defectType}
            onChange={(e) => set({ defectType: e.target.value })}
            onKeyDown={enterDecides('defect_confirmed')}
            maxLength={80}
            placeholder="e.g. scratch"
          />
          <datalist id={listId}>
            {DEFECT_TYPES.map((d) => (
              <option key={d} value={d} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={reasonId}>Reason (required for {shortcuts ? 'G' : 'a false alarm'})</label>
          <input
            id={reasonId}
            ref={reasonRef}
            value={draft.reason}
            onChange={(e) => set({ reason: e.target.value })}
            onKeyDown={enterDecides('false_alarm')}
            maxLength={500}
            placeholder="e.g. dust on the lens, part is fine"
          />
        </div>
      </div>
      {decided ? (
        draft.changing ? (
          <div className="field">
            <label htmlFor={`${idPrefix}change-reason`}>Why the decision changes (required)</label>
            <input
              id={`${idPrefix}change-reason`}
              value={draft.changeReason}
              onChange={(e) => set({ changeReason: e.target.value })}
              maxLength={500}
              placeholder="e.g. checked the part again under the lamp"
              data-testid="change-reason"
            />
          </div>
        ) : (
          <p className="hint" data-testid="decided-note">
            Already decided (see below).{' '}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => set({ changing: true })}
              data-testid="decide-change"
            >
              Change decision
            </button>
          </p>
        )
      ) : null}
      <div className="decide-buttons">
        <button
          type="button"
          className="btn btn-defect"
          disabled={locked}
          onClick={() => onDecide('defect_confirmed')}
          data-testid="decide-defect"
        >
          <Icon name="cross" /> Defect confirmed
          {shortcuts ? (
            <>
              {' '}
              <kbd>D</kbd>
            </>
          ) : null}
        </button>
        <button
          type="button"
          className="btn btn-good"
          disabled={locked}
          onClick={() => onDecide('false_alarm')}
          data-testid="decide-false-alarm"
        >
          <Icon name="check" /> False alarm — part is good
          {shortcuts ? (
            <>
              {' '}
              <kbd>G</kbd>
            </>
          ) : null}
        </button>
      </div>
      {shortcuts ? (
        <p className="hint keys">
          <kbd>D</kbd> defect · <kbd>G</kbd> false alarm · <kbd>J</kbd>/<kbd>↓</kbd> next · <kbd>K</kbd>/
          <kbd>↑</kbd> previous · <kbd>Enter</kbd> in a field decides · <kbd>Esc</kbd> leaves a field
        </p>
      ) : null}
      {message ? (
        <p className={message.ok ? 'ok-text' : 'field-error'} role="status" data-testid="decide-message">
          {message.text}
        </p>
      ) : null}
    </div>
  );
}
