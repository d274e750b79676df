// Whether the Live screen may still show the last verdict big: not after the line stopped, not
// for a part from a source the line no longer runs, and not once no part came for a while,
// because an operator reads a big PASS as "the part in front of me is good".
import type { ResultSnapshot, StationState } from '@shared/station';

export type VerdictView =
  { kind: 'verdict' } | { kind: 'stopped'; text: string } | { kind: 'waiting'; text: string };

export const DEFAULT_IDLE_S = 10;
const IDLE_KEY = 'station.live.idleAfterS';

export function verdictView(
  result: ResultSnapshot | null,
  state: StationState | null,
  nowMs: number,
  idleAfterS: number,
): VerdictView {
  if (!state || state.status !== 'running') {
    return { kind: 'stopped', text: 'Line stopped' };
  }
  if (!result) return { kind: 'waiting', text: 'Waiting for parts' };
  if (state.source && result.source !== state.source.label) {
    return { kind: 'waiting', text: 'Waiting for parts from the new source' };
  }
  const ageS = (nowMs - Date.parse(result.at)) / 1000;
  if (ageS > idleAfterS) {
    return { kind: 'waiting', text: `Waiting for parts — last one ${formatAge(ageS)} ago` };
  }
  return { kind: 'verdict' };
}

function formatAge(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** Per display: a slow line's screen may wait longer than a fast line's. */
export function readIdleAfterS(storage: Pick<Storage, 'getItem'> = window.localStorage): number {
  const v = Number(storage.getItem(IDLE_KEY));
  return Number.isFinite(v) && v >= 1 && v <= 3600 ? v : DEFAULT_IDLE_S;
}

export function writeIdleAfterS(
  seconds: number,
  storage: Pick<Storage, 'setItem'> = window.localStorage,
): void {
  storage.setItem(IDLE_KEY, String(seconds));
}
