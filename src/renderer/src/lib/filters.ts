// The filter form shared by History and Review, and its two wire forms: the API request object
// and the query string of the streamed CSV export (same fields, so an export matches the table).
import type { InspectionFilterInput } from '@shared/api';
import type { Verdict } from '@shared/station';

export interface FilterForm {
  verdicts: Verdict[];
  modelId: string;
  /** '' = every product. */
  productId: string;
  /** datetime-local values (local time, minutes), '' = open. */
  from: string;
  to: string;
  minScore: string;
  maxScore: string;
  reviewed: 'any' | 'yes' | 'no';
}

export const EMPTY_FORM: FilterForm = {
  verdicts: [],
  modelId: '',
  productId: '',
  from: '',
  to: '',
  minScore: '',
  maxScore: '',
  reviewed: 'any',
};

function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

function num(value: string): number | undefined {
  if (value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function toFilter(form: FilterForm): InspectionFilterInput {
  const f: InspectionFilterInput = {};
  if (form.verdicts.length > 0 && form.verdicts.length < 3) f.verdicts = [...form.verdicts];
  if (form.modelId) f.modelId = form.modelId;
  if (form.productId) f.productId = form.productId;
  const from = localToIso(form.from);
  const to = localToIso(form.to);
  if (from) f.from = from;
  if (to) f.to = to;
  const min = num(form.minScore);
  const max = num(form.maxScore);
  if (min !== undefined) f.minScore = min;
  if (max !== undefined) f.maxScore = max;
  if (form.reviewed !== 'any') f.reviewed = form.reviewed === 'yes';
  return f;
}

export function filterQuery(f: InspectionFilterInput): string {
  const q = new URLSearchParams();
  if (f.verdicts) q.set('verdicts', f.verdicts.join(','));
  if (f.modelId) q.set('modelId', f.modelId);
  if (f.productId) q.set('productId', f.productId);
  if (f.runId !== undefined) q.set('runId', String(f.runId));
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.minScore !== undefined) q.set('minScore', String(f.minScore));
  if (f.maxScore !== undefined) q.set('maxScore', String(f.maxScore));
  if (f.reviewed !== undefined) q.set('reviewed', String(f.reviewed));
  return q.toString();
}

/** Local datetime-local value for an ISO time (used to prefill "last hour" style ranges). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatScore(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toFixed(3);
}

export function formatMs(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`;
}

export function percent(part: number, total: number): string {
  if (total <= 0) return '—';
  return `${((part / total) * 100).toFixed(1)} %`;
}
