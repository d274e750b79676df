// Formatting shared by every screen, so sizes and times read the same everywhere.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units (1 KiB = 1024 B) because disks and limits in settings are set that way. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Local wall-clock time as YYYY-MM-DD HH:MM:SS: unambiguous across locales, sorts as text,
 * and matches what an auditor compares against shift logs.
 */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Thousands separators without locale surprises (a comma is a decimal point in half of Europe). */
export function formatCount(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** First characters of a hash: enough to compare by eye, full value goes in a tooltip. */
export function shortHash(hash: string, length = 10): string {
  return hash.length > length ? hash.slice(0, length) : hash;
}

/**
 * Splits the server's validation message ("Invalid request for m: a.b: msg; c: msg") into
 * per-field messages so a form can show each under its input. Anything unparsable is kept
 * under the empty key.
 */
export function parseValidationMessage(message: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = message.replace(/^Invalid request for [^:]+:\s*/, '');
  if (body === message) {
    out.set('', message);
    return out;
  }
  for (const part of body.split(/;\s*/)) {
    const m = /^([\w.()[\]]+):\s*(.*)$/.exec(part);
    if (m) {
      const prev = out.get(m[1]);
      out.set(m[1], prev ? `${prev}; ${m[2]}` : m[2]);
    } else if (part.trim()) {
      out.set('', part.trim());
    }
  }
  return out;
}
