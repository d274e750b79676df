// The one seeded PRNG of the station. A fit (start points, projections, subsampling, held-out
// images), a synthetic test set and a training run (parameter initialisation, data order, dropout
// masks, augmentation; a resumed run replays the same draws) are reproducible from their seed alone, on
// every platform: state updates are integer-only. sfc32 seeded through splitmix32: 128-bit state,
// fast, statistically good far beyond what is drawn here (not for cryptography). Depends on nothing.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller; the second value is kept for the next call). */
  normal(): number;
  /** k distinct indices of [0, n) in draw order. */
  choose(n: number, k: number): number[];
  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T;
  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Uint32Array;
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

export function createRng(seed: number): Rng {
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
  let spare: number | null = null;
  const next = (): number => u32() / 4294967296;
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    choose: (n, k) => sampleWithoutReplacement(rng, n, k),
    shuffle: (a) => {
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
      }
      return a;
    },
    permutation: (n) => rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i)),
  };
  return rng;
}

/** k distinct indices from [0, n), in draw order (partial Fisher–Yates on a sparse map). */
export function sampleWithoutReplacement(rng: Pick<Rng, 'int'>, n: number, k: number): number[] {
  const m = Math.min(k, n);
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out.push(vj);
  }
  return out;
}

/** Dense Gaussian matrix rows×cols scaled by 1/sqrt(cols): a Johnson–Lindenstrauss map when applied as x·R. */
export function gaussianMatrix(rng: Rng, rows: number, cols: number): Float32Array {
  const m = new Float32Array(rows * cols);
  const scale = 1 / Math.sqrt(cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal() * scale;
  return m;
}

/** Accepts either a ready RNG (to share one stream across calls) or a seed. */
export function toRng(rngOrSeed: Rng | number): Rng {
  return typeof rngOrSeed === 'number' ? createRng(rngOrSeed) : rngOrSeed;
}

/** Derives an independent child seed, so item i of a set does not depend on items before it. */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.floor(seed) ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
