// Score calibration shared by every method: which good images are held out of the fit, what their
// scores say, and the min/max normalisation that maps them onto the verdict scale.
import { createRng, sampleWithoutReplacement } from '../../util/rng';

export interface CalibrationSplitOptions {
  /** Fraction of the good images held out (0: none). */
  fraction: number;
  /** At most this many held out. */
  max: number;
  seed: number;
  /** Below this many images nothing is held out: each one is needed for the fit. */
  minImages: number;
}

/** A seeded split of n good images into fitted and held-out (calibration) indices, both ascending. */
export function splitCalibration(n: number, o: CalibrationSplitOptions): { fit: number[]; calib: number[] } {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n < o.minImages || o.fraction <= 0) return { fit: all, calib: [] };
  const count = Math.min(o.max, Math.max(1, Math.round(n * o.fraction)));
  const calib = sampleWithoutReplacement(createRng(o.seed ^ 0x5eed), n, count).sort((a, b) => a - b);
  const held = new Set(calib);
  return { fit: all.filter((i) => !held.has(i)), calib };
}

/**
 * A seeded assignment of n items to k folds of (nearly) equal size: folds[f] lists the indices in
 * fold f, ascending. Used to keep score normalisation and threshold selection apart from the
 * images a rate is measured on (cross-validation over the held-out good images).
 */
export function kFolds(n: number, k: number, seed: number): number[][] {
  if (!(Number.isInteger(k) && k >= 2 && k <= n)) throw new RangeError(`need 2 ≤ k ≤ n, got k=${k}, n=${n}`);
  const order = sampleWithoutReplacement(createRng(seed ^ 0xf01d), n, n);
  const folds: number[][] = Array.from({ length: k }, () => []);
  order.forEach((item, pos) => folds[pos % k].push(item));
  return folds.map((f) => f.sort((a, b) => a - b));
}

export interface Calibration {
  /** 'held-out': images not fitted on; 'train': fitted images (too few to hold any out). */
  source: 'held-out' | 'train';
  count: number;
  scores: number[];
  min: number;
  max: number;
  mean: number;
}

export function summariseCalibration(scores: number[], source: Calibration['source']): Calibration {
  return {
    source,
    count: scores.length,
    scores,
    min: Math.min(...scores),
    max: Math.max(...scores),
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
  };
}

/**
 * Min/max of the good calibration scores map to 0 and 1. With too few calibration images to span
 * a range (one image, or identical scores) the lower end falls back to 0: every method's raw
 * score is a distance or an error, so 0 is its natural floor.
 */
export function minmaxNormalisation(cal: Pick<Calibration, 'count' | 'min' | 'max'>): {
  method: 'minmax';
  min: number;
  max: number;
} {
  if (cal.count === 0 || !(cal.max > cal.min))
    return { method: 'minmax', min: 0, max: cal.count > 0 && cal.max > 0 ? cal.max : 1 };
  return { method: 'minmax', min: cal.min, max: cal.max };
}

/**
 * The images a fit trains on and the good images it holds out: all of `images` and the caller's
 * own calibration images when given (an empty list included: the caller holds none out), else a
 * seeded split of `images`.
 */
export function holdOut<T>(
  images: readonly T[],
  given: readonly T[] | undefined,
  o: CalibrationSplitOptions,
): { fit: T[]; held: T[] } {
  if (given) return { fit: images.slice(), held: given.slice() };
  const s = splitCalibration(images.length, o);
  return { fit: s.fit.map((i) => images[i]), held: s.calib.map((i) => images[i]) };
}

/**
 * The images whose scores calibrate a package: the held-out ones, or with none held out (too few
 * images) the first `max` fitted ones, which says less about unseen parts and is recorded so.
 */
export function calibrationSet<T>(
  fit: readonly T[],
  held: readonly T[],
  max: number,
): { images: T[]; source: Calibration['source'] } {
  return held.length > 0
    ? { images: held.slice(), source: 'held-out' }
    : { images: fit.slice(0, max), source: 'train' };
}
