// Natural ("human") ordering for file names: "img2.png" < "img10.png".
// Written by hand instead of Intl.Collator({numeric: true}) because the collator is locale- and
// ICU-build-dependent (case folding, punctuation weights); evaluation order must be identical on
// every station so that reports and synthetic test sets are reproducible.

const CHUNK = /(\d+)|(\D+)/g;

function chunks(s: string): string[] {
  return s.match(CHUNK) ?? [];
}

function isDigitChunk(c: string): boolean {
  const ch = c.charCodeAt(0);
  return ch >= 48 && ch <= 57;
}

/** Compares digit runs by numeric value (any length, no float conversion), text runs by code unit. */
export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a);
  const cb = chunks(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = isDigitChunk(x);
    const dy = isDigitChunk(y);
    if (dx && dy) {
      // Strip leading zeros, then longer = bigger; equal length compares lexically. Works for
      // numbers beyond 2^53 (serial numbers in file names are often that long).
      const tx = x.replace(/^0+/, '');
      const ty = y.replace(/^0+/, '');
      if (tx.length !== ty.length) return tx.length - ty.length;
      if (tx !== ty) return tx < ty ? -1 : 1;
      // Same value, different zero padding: fewer leading zeros first, for a total order.
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function naturalSort(names: readonly string[]): string[] {
  return [...names].sort(naturalCompare);
}
