// Seeded PRNG for synthetic anomalies and dataset splits. Same seed → same sequence on every
// platform (integer-only state updates), which is what makes synthetic test sets byte-reproducible.
// sfc32 seeded through splitmix32: 128-bit state, passes PractRand far beyond what we draw here.
// Kept local (rather than importing the PatchCore one) so this folder has no dependency on code
// that is still moving; the algorithm is the same.

export interface SeededRng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** k distinct indices of [0, n) in draw order. */
  choose(n: number, k: number): number[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createSeededRng(seed: number): SeededRng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const init = splitmix32(Math.floor(seed));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int,
    choose: (n, k) => {
      const idx = Array.from({ length: n }, (_, i) => i);
      const m = Math.min(k, n);
      for (let i = 0; i < m; i++) {
        const j = i + int(n - i);
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      return idx.slice(0, m);
    },
  };
}

/** Accepts either a ready RNG (to share one stream across calls) or a seed. */
export function toRng(rngOrSeed: SeededRng | number): SeededRng {
  return typeof rngOrSeed === 'number' ? createSeededRng(rngOrSeed) : rngOrSeed;
}

/** Derives an independent child seed, so item i of a set does not depend on items before it. */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.floor(seed) ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
