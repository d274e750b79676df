// Public metrics surface for evaluation (the `station` CLI and the threshold wizard import from
// here): image-level metrics, streaming pixel metrics, and an evaluator that collects one
// category's results image by image so that no anomaly map outlives its own iteration.

import {
  f1Max,
  imageAuroc,
  latencyStats,
  lineRates,
  type F1Max,
  type LatencyStats,
  type LineRates,
} from './image-metrics';
import { PixelMetricsAccumulator, type PixelAccumulatorOptions, type PixelMetrics } from './pixel-metrics';

export * from './image-metrics';
export * from './pixel-metrics';
export { labelComponents, type Components } from './connected-components';

export interface EvalSample {
  path: string;
  label: 0 | 1;
  score: number;
  /** Inference time of this image, ms (optional: latency stats skip missing ones). */
  latencyMs?: number;
  /** Anomaly map at mask resolution; with `mask` (null for good images) feeds pixel metrics. */
  map?: ArrayLike<number>;
  mask?: ArrayLike<number> | null;
  width?: number;
  height?: number;
}

export interface CategoryMetrics {
  imageAuroc: number;
  f1Max: F1Max;
  /** At the given thresholds, or at the F1-max threshold when none are given. */
  rates: LineRates;
  /** null when no sample carried a map. */
  pixel: PixelMetrics | null;
  latency: LatencyStats;
  nTestGood: number;
  nTestDefect: number;
}

/**
 * Collects one category's scores (a few thousand numbers, kept) and folds maps into the pixel
 * accumulator (maps are not kept). Call add() per test image, then finish().
 */
export class CategoryEvaluator {
  private scores: number[] = [];
  private labels: number[] = [];
  private latencies: number[] = [];
  private readonly pixel: PixelMetricsAccumulator;
  private sawMap = false;
  /** (path, score, label) for the contact sheet; no pixels. */
  readonly samples: { path: string; score: number; label: 0 | 1 }[] = [];

  constructor(pixelOptions: PixelAccumulatorOptions = {}) {
    this.pixel = new PixelMetricsAccumulator(pixelOptions);
  }

  add(s: EvalSample): void {
    if (s.label !== 0 && s.label !== 1) throw new Error(`${s.path}: label must be 0 or 1`);
    if (!Number.isFinite(s.score)) throw new Error(`${s.path}: score ${s.score} is not finite`);
    if (s.map) {
      if (s.width === undefined || s.height === undefined)
        throw new Error(`${s.path}: map needs width and height`);
      if (s.label === 1 && !s.mask) {
        // A defect without its mask would count its defect pixels as normal: refuse rather
        // than report a pixel AUROC that silently means something else.
        throw new Error(`${s.path}: defective sample with a map but no mask`);
      }
      this.pixel.add(s.map, s.mask ?? null, s.width, s.height);
      this.sawMap = true;
    }
    this.scores.push(s.score);
    this.labels.push(s.label);
    if (s.latencyMs !== undefined) this.latencies.push(s.latencyMs);
    this.samples.push({ path: s.path, score: s.score, label: s.label });
  }

  finish(thresholds?: { t1: number; t2?: number }): CategoryMetrics {
    const scores = Float64Array.from(this.scores);
    const labels = Uint8Array.from(this.labels);
    const f1 = f1Max(scores, labels);
    const t1 = thresholds?.t1 ?? f1.threshold;
    const t2 = thresholds?.t2 ?? t1;
    let nDefect = 0;
    for (const l of this.labels) nDefect += l;
    return {
      imageAuroc: imageAuroc(scores, labels),
      f1Max: f1,
      rates: Number.isNaN(t1)
        ? {
            t1,
            t2,
            nGood: labels.length - nDefect,
            nDefect,
            falseRejectRate: NaN,
            goodReviewRate: NaN,
            escapeRate: NaN,
            defectReviewRate: NaN,
          }
        : lineRates(scores, labels, t1, t2),
      pixel: this.sawMap ? this.pixel.result() : null,
      latency: latencyStats(this.latencies),
      nTestGood: labels.length - nDefect,
      nTestDefect: nDefect,
    };
  }
}
