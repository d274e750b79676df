// Formatting shared by the Train and Models screens.

/** "45 s", "3 min 20 s", "1 h 5 min": durations the operator plans around, not stopwatch readings. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** A rate as a percentage with the counts it rests on, so 0 % of 4 is not read as 0 % of 4000. */
export function formatRate(rate: number | null | undefined, n?: number): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  const pct = rate * 100;
  const text = `${pct < 10 && pct !== 0 ? pct.toFixed(1) : Math.round(pct)} %`;
  if (n === undefined) return text;
  return `${text} (${Math.round(rate * n)} of ${n})`;
}

export function formatThreshold(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : '—';
}

export function shortId(id: string | null | undefined): string {
  return id ?? '—';
}
