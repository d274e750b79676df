import { describe, expect, it } from 'vitest';
import type { ResultSnapshot, StationState } from '@shared/station';
import { DEFAULT_IDLE_S, readIdleAfterS, verdictView } from '../../../src/renderer/src/lib/stale';

const at = '2026-01-01T10:00:00.000Z';
const t0 = Date.parse(at);
const result = { at, source: 'replay:/a', verdict: 'PASS' } as ResultSnapshot;
const running = {
  status: 'running',
  source: { label: 'replay:/a', kind: 'replay', state: { kind: 'running', message: '' } },
} as StationState;

describe('stale verdicts on the Live screen', () => {
  it('shows the verdict of a fresh part from the running source', () => {
    expect(verdictView(result, running, t0 + 2000, 10)).toEqual({ kind: 'verdict' });
  });

  it('says "line stopped" once the line is not running', () => {
    for (const status of ['idle', 'ready', 'stopping', 'error'] as const) {
      expect(verdictView(result, { ...running, status }, t0 + 100, 10)).toMatchObject({ kind: 'stopped' });
    }
  });

  it('waits for parts after the idle time and after a source switch', () => {
    expect(verdictView(result, running, t0 + 11_000, 10)).toEqual({
      kind: 'waiting',
      text: 'Waiting for parts — last one 11 s ago',
    });
    const switched = { ...running, source: { ...running.source!, label: 'hotfolder:/b' } };
    expect(verdictView(result, switched, t0 + 100, 10)).toMatchObject({ kind: 'waiting' });
    expect(verdictView(null, running, t0, 10)).toMatchObject({ kind: 'waiting' });
  });

  it('reads the idle time per display, falling back on nonsense', () => {
    expect(readIdleAfterS({ getItem: () => '30' })).toBe(30);
    expect(readIdleAfterS({ getItem: () => 'x' })).toBe(DEFAULT_IDLE_S);
    expect(readIdleAfterS({ getItem: () => null })).toBe(DEFAULT_IDLE_S);
    expect(readIdleAfterS({ getItem: () => '0' })).toBe(DEFAULT_IDLE_S);
  });
});
