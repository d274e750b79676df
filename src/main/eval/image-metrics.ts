// Image-level metrics on typed arrays: AUROC, F1-max, line rates at T1/T2, threshold suggestion,
// latency statistics. Inputs are a few thousand scores at most, so exact sort-based algorithms are
// used (O(n log n) on an index array, no arrays of objects).
//
// Conventions (shared with the station's verdicts):
//   - label 1 = defective ("positive"), 0 = good.
//   - a score is "anomalous at threshold t" when score >= t.
//   - verdict: PASS if score < T1, FAIL if score >= T2, REVIEW otherwise (T1 <= T2; T1 = T2 → no REVIEW).
//
// Degenerate input: metrics that need both classes (AUROC, F1 without positives) return NaN rather
// than throwing, so one category without defects does not abort a whole report; the report writes
// NaN as null / "–". Malformed input (length mismatch, NaN scores, labels other than 0/1) throws.

export type Scores = ArrayLike<number>;
export type Labels = ArrayLike<number>;

export function checkScoresLabels(scores: Scores, labels: Labels): { nPos: number; nNeg: number } {
  if (scores.length !== labels.length) {
    throw new Error(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  }
  let nPos = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`score ${i} is NaN`);
    const l = labels[i];
    if (l === 1) nPos++;
    else if (l !== 0) throw new Error(`label ${i} is ${l}, expected 0 or 1`);
  }
  return { nPos, nNeg: scores.length - nPos };
}

/** Indices sorted by score ascending (stable on ties: by index). */
export function argsortAscending(scores: Scores): Uint32Array {
  const s = Float64Array.from(scores as ArrayLike<number>);
  const idx = new Uint32Array(s.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => s[a] - s[b] || a - b);
  return idx;
}

/**
 * Exact ROC AUC = Mann–Whitney U / (P·N) with mid-ranks, i.e. P(score_pos > score_neg) +
 * 0.5·P(equal). NaN when one class is absent.
 */
export function imageAuroc(scores: Scores, labels: Labels): number {
  const { nPos, nNeg } = checkScoresLabels(scores, labels);
  if (nPos === 0 || nNeg === 0) return NaN;
  const idx = argsortAscending(scores);
  let rankSumPos = 0;
  let i = 0;
  const n = idx.length;
  while (i < n) {
    let j = i + 1;
    const v = scores[idx[i]];
    while (j < n && scores[idx[j]] === v) j++;
    // Tie group occupies ranks i+1 … j; every member gets the mean rank.
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (labels[idx[k]] === 1) rankSumPos += midRank;
    i = j;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface F1Max {
  /** Best F1 over all thresholds; NaN without positives. */
  f1: number;
  /** Anomalous iff score >= threshold. NaN without positives. */
  threshold: number;
  precision: number;
  recall: number;
}

/**
 * F1-max over the thresholds t ∈ {distinct scores}: predicted defective iff score >= t. A tie group
 * is always on one side of a threshold, never split. Among equal F1, the highest threshold wins
 * (fewest rejects).
 */
export function f1Max(scores: Scores, labels: Labels): F1Max {
  const { nPos } = checkScoresLabels(scores, labels);
  if (nPos === 0) return { f1: NaN, threshold: NaN, precision: NaN, recall: NaN };
  const idx = argsortAscending(scores);
  let best: F1Max = { f1: -1, threshold: NaN, precision: NaN, recall: NaN };
  let tp = 0;
  let fp = 0;
  let j = idx.length - 1;
  while (j >= 0) {
    const v = scores[idx[j]];
    let i = j;
    while (i >= 0 && scores[idx[i]] === v) {
      if (labels[idx[i]] === 1) tp++;
      else fp++;
      i--;
    }
    const f1 = (2 * tp) / (2 * tp + fp + (nPos - tp));
    if (f1 > best.f1) best = { f1, threshold: v, precision: tp / (tp + fp), recall: tp / nPos };
    j = i;
  }
  return best;
}

export type Verdict = 'PASS' | 'REVIEW' | 'FAIL';

export function verdictFor(score: number, t1: number, t2: number = t1): Verdict {
  if (score >= t2) return 'FAIL';
  if (score < t1) return 'PASS';
  return 'REVIEW';
}

export interface LineRates {
  t1: number;
  t2: number;
  nGood: number;
  nDefect: number;
  /** Good parts that FAIL / good parts (NaN without good parts). */
  falseRejectRate: number;
  /** Good parts sent to REVIEW / good parts: operator load, not a reject. */
  goodReviewRate: number;
  /** Defects that PASS / defects (NaN without defects). */
  escapeRate: number;
  /** Defects sent to REVIEW / defects: caught only if the operator catches them. */
  defectReviewRate: number;
}

/** False-reject and escape rates at the line's thresholds; REVIEW is reported separately. */
export function lineRates(scores: Scores, labels: Labels, t1: number, t2: number = t1): LineRates {
  if (!(t1 <= t2)) throw new Error(`thresholds must satisfy T1 <= T2, got T1=${t1} T2=${t2}`);
  const { nPos, nNeg } = checkScoresLabels(scores, labels);
  let goodFail = 0;
  let goodReview = 0;
  let defPass = 0;
  let defReview = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = verdictFor(scores[i], t1, t2);
    if (labels[i] === 1) {
      if (v === 'PASS') defPass++;
      else if (v === 'REVIEW') defReview++;
    } else if (v === 'FAIL') goodFail++;
    else if (v === 'REVIEW') goodReview++;
  }
  return {
    t1,
    t2,
    nGood: nNeg,
    nDefect: nPos,
    falseRejectRate: nNeg ? goodFail / nNeg : NaN,
    goodReviewRate: nNeg ? goodReview / nNeg : NaN,
    escapeRate: nPos ? defPass / nPos : NaN,
    defectReviewRate: nPos ? defReview / nPos : NaN,
  };
}

/** Smallest double strictly greater than x (x finite). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

export interface ThresholdSuggestion {
  /** Reject (FAIL) iff score >= threshold. */
  threshold: number;
  /** False-reject rate this threshold gives on the scores it was computed from (<= target). */
  achievedFalseRejectRate: number;
  nGood: number;
}

/**
 * Threshold for a target false-reject rate on good parts: the (1 − target) quantile of the good
 * scores, chosen as the lowest threshold whose reject fraction is <= target. It sits halfway to the
 * next higher good score (not just above the last passing one) so a new good part scoring a hair
 * above the calibration set still passes. Ties are never split: if the tie group at the quantile
 * would push the rate over target, the whole group passes. Target 0 → just above the max good score.
 */
export function suggestThreshold(goodScores: Scores, targetFalseRejectRate: number): ThresholdSuggestion {
  const n = goodScores.length;
  if (n === 0) throw new Error('suggestThreshold needs at least one good score');
  if (!(targetFalseRejectRate >= 0 && targetFalseRejectRate < 1)) {
    throw new Error(`targetFalseRejectRate must be in [0, 1), got ${targetFalseRejectRate}`);
  }
  const s = Float64Array.from(goodScores as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(s[i])) throw new Error(`good score ${i} is not finite`);
  s.sort();
  // Up to k rejects are allowed; a float tolerance keeps 0.1·10 from becoming 0.999… → 0.
  const k = Math.floor(targetFalseRejectRate * n + 1e-9);
  // a = highest score that must pass; everything strictly above it may be rejected (<= k values).
  const a = s[n - k - 1];
  let j = n - k;
  while (j < n && s[j] === a) j++;
  let threshold: number;
  if (j >= n) threshold = nextUp(a);
  else {
    const b = s[j];
    const mid = a + (b - a) / 2;
    threshold = mid > a ? mid : b;
  }
  let rejects = 0;
  for (let i = 0; i < n; i++) if (s[i] >= threshold) rejects++;
  return { threshold, achievedFalseRejectRate: rejects / n, nGood: n };
}

export interface LatencyStats {
  n: number;
  mean: number;
  /** Nearest-rank 95th percentile. */
  p95: number;
  max: number;
}

export function latencyStats(ms: ArrayLike<number>): LatencyStats {
  const n = ms.length;
  if (n === 0) return { n: 0, mean: NaN, p95: NaN, max: NaN };
  const s = Float64Array.from(ms as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return { n, mean: sum / n, p95: s[Math.max(0, Math.ceil(0.95 * n) - 1)], max: s[n - 1] };
}

/**
 * Wilson score interval for a binomial proportion x / n at the given two-sided confidence (0.95
 * → z 1.96). Unlike x / n ± z·se it stays inside [0, 1] and is not zero-width at 0 of n, which is
 * what a handful of held-out good images usually shows.
 */
export function wilsonInterval(x: number, n: number, z = 1.959963984540054): [number, number] {
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(x) && x >= 0 && x <= n))
    throw new RangeError(`need integers 0 ≤ x ≤ n, n > 0; got x=${x}, n=${n}`);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact ends: at x = 0 the lower bound is 0, at x = n the upper is 1 (rounding aside).
  return [x === 0 ? 0 : Math.max(0, centre - half), x === n ? 1 : Math.min(1, centre + half)];
}
