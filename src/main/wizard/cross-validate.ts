// Out-of-sample good-part rates for the wizard (issue 19.10). The package normalises scores with
// the min/max of the held-out good images and the wizard suggests T1/T2 from those same images,
// so rates counted on them are optimistic (the worst one sits exactly at 1.0 by construction).
// Here the held-out goods are split into k folds; each fold is scored with a normalisation, and
// for suggested thresholds a suggestion, made from the other folds only, and the out-of-fold
// counts are pooled. The interval is Wilson's over the pooled counts; the fold spread is kept too.
import type { OutOfSampleEstimate } from '@shared/training';
import { wilsonInterval } from '../eval/metrics';
import { kFolds, minmaxNormalisation, summariseCalibration } from '../methods/common';
import { suggestThresholds } from './calibrate';

/** Below this, a fold would be judged by a range made of one image; up to 5 images it is leave-one-out. */
export const MIN_CV_IMAGES = 3;
export const MAX_FOLDS = 5;
const CONFIDENCE = 0.95;
const Z95 = 1.959963984540054;
const FOLD_SEED = 0x19;

export type ThresholdRule =
  | { kind: 'fixed'; t1: number; t2: number }
  | { kind: 'suggested'; targetFalseRejectRate: number; reviewBudget: number };

export type CrossValidation =
  { estimate: OutOfSampleEstimate; note: null } | { estimate: null; note: string };

/**
 * `raw`: the raw (un-normalised) scores of the held-out good images, in any order. Thresholds
 * live on the normalised scale, so a fixed T2 of 1.0 means "the worst good image of the
 * normalisation set" in every fold, as it does in the package.
 */
export function crossValidateGoodRates(raw: number[], rule: ThresholdRule): CrossValidation {
  const n = raw.length;
  if (n < MIN_CV_IMAGES) {
    return {
      estimate: null,
      note:
        n === 0
          ? 'No held-out good images: nothing to estimate the false-reject rate from.'
          : `Only ${n} held-out good images: too few to estimate the false-reject rate out of sample (need ${MIN_CV_IMAGES}); add good images.`,
    };
  }
  const k = Math.min(MAX_FOLDS, n);
  const folds = kFolds(n, k, FOLD_SEED);
  let falseRejects = 0;
  let goodReviews = 0;
  const foldRates: number[] = [];
  folds.forEach((test, f) => {
    const train = folds.flatMap((idx, g) => (g === f ? [] : idx.map((i) => raw[i])));
    const norm = minmaxNormalisation(summariseCalibration(train, 'held-out'));
    const scale = (v: number): number => (v - norm.min) / (norm.max - norm.min);
    const { t1, t2 } =
      rule.kind === 'fixed'
        ? rule
        : suggestThresholds(train.map(scale), rule.targetFalseRejectRate, rule.reviewBudget);
    let fails = 0;
    for (const i of test) {
      const s = scale(raw[i]);
      if (s >= t2) fails++;
      else if (s >= t1) goodReviews++;
    }
    falseRejects += fails;
    foldRates.push(fails / test.length);
  });
  return {
    note: null,
    estimate: {
      method: 'k-fold',
      folds: k,
      images: n,
      thresholds: rule.kind,
      confidence: CONFIDENCE,
      falseRejects,
      falseRejectRate: falseRejects / n,
      falseRejectInterval: wilsonInterval(falseRejects, n, Z95),
      goodReviews,
      goodReviewRate: goodReviews / n,
      goodReviewInterval: wilsonInterval(goodReviews, n, Z95),
      foldFalseRejectRates: foldRates,
    },
  };
}
