// Formatting shared by the Train and Models screens.
import type { OutOfSampleEstimate } from '@shared/training';

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

/** "8.3 % (1 of 12), 95 % interval 1.5–35 %, 5 folds 0–25 %": an estimate with its uncertainty. */
export function formatEstimate(
  e: Pick<
    OutOfSampleEstimate,
    | 'falseRejects'
    | 'images'
    | 'falseRejectRate'
    | 'falseRejectInterval'
    | 'confidence'
    | 'folds'
    | 'foldFalseRejectRates'
  >,
): string {
  const [lo, hi] = e.falseRejectInterval;
  const spread = e.foldFalseRejectRates.length
    ? `; ${e.folds} folds ${formatPct(Math.min(...e.foldFalseRejectRates))}–${formatPct(Math.max(...e.foldFalseRejectRates))}`
    : '';
  return `${formatRate(e.falseRejectRate, e.images)}, ${Math.round(e.confidence * 100)} % interval ${formatPct(lo)}–${formatPct(hi)}${spread}`;
}

function formatPct(rate: number): string {
  const pct = rate * 100;
  return `${pct < 10 && pct !== 0 ? pct.toFixed(1) : Math.round(pct)} %`;
}

/** An out-of-sample estimate as stored in a model's metrics (model.json), if it has one. */
export function storedEstimate(v: unknown): OutOfSampleEstimate | null {
  if (!v || typeof v !== 'object') return null;
  const e = v as Partial<OutOfSampleEstimate>;
  return e.method === 'k-fold' &&
    typeof e.falseRejectRate === 'number' &&
    Array.isArray(e.falseRejectInterval) &&
    Array.isArray(e.foldFalseRejectRates)
    ? (e as OutOfSampleEstimate)
    : null;
}
