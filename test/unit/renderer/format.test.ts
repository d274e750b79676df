import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatTime,
  parseValidationMessage,
  shortHash,
} from '../../../src/renderer/src/components/format';

describe('renderer formatting', () => {
  it('formats sizes in binary units with sensible precision', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(118_784)).toBe('116 KiB');
    expect(formatBytes(5 * 2 ** 30)).toBe('5.00 GiB');
    expect(formatBytes(15.5 * 2 ** 20)).toBe('15.5 MiB');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytes(null)).toBe('—');
  });

  it('formats times as local YYYY-MM-DD HH:MM:SS and keeps unparsable input visible', () => {
    const iso = new Date(2026, 0, 2, 3, 4, 5).toISOString();
    expect(formatTime(iso)).toBe('2026-01-02 03:04:05');
    expect(formatTime('not a date')).toBe('not a date');
    expect(formatTime(null)).toBe('—');
  });

  it('groups thousands and shortens hashes', () => {
    expect(formatCount(1234567)).toBe('1\u202f234\u202f567');
    expect(formatCount(12)).toBe('12');
    expect(shortHash('abcdef0123456789')).toBe('abcdef0123');
  });

  it('splits the server validation message into per-field messages', () => {
    const m = parseValidationMessage(
      'Invalid request for settings.update: patch.retention.keepPassEvery: Too small: expected number to be >=1; reason: Too small',
    );
    expect(m.get('patch.retention.keepPassEvery')).toBe('Too small: expected number to be >=1');
    expect(m.get('reason')).toBe('Too small');
    expect(parseValidationMessage('Something else broke').get('')).toBe('Something else broke');
  });
});
