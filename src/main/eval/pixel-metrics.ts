// Pixel-level metrics (pixel AUROC, AUPRO@30 % FPR) over millions of pixels without sorting them
// and without keeping the maps: each map is folded into histograms as it arrives.
//
// Binning. Scores fall into `bins` equal-width bins over a range that grows by doubling: when a
// value falls outside [lo, hi), the span doubles to the left or right and pairs of old bins merge
// exactly into one new bin (bins is even, the old range aligns with the new grid), so no count is
// ever re-estimated. The final bin width is between span/bins and 4·span/bins, where span is the
// range of all scores seen (2× from the last doubling overshooting, 2× more when the first map's
// range sits at one end and growth had to go both ways). An optional initial range (e.g. from
// calibration, or a first pass over the maps) avoids the doubling and gives span/bins.
//
// ROC/PRO from histograms. Thresholds are the bin edges, highest first; all pixels of one bin
// cross the threshold together (ties within a bin are one threshold) and the curve is a straight
// line between consecutive edges (trapezoid), exactly as an exact ROC handles tied scores.
//
// Resolution error. Binning changes only the ordering of pairs whose members share a bin:
//  - pixel AUROC: |binned − exact| <= ½·Σ_b pos_b·neg_b / (P·N). For continuous score densities
//    f₊, f₋ this is ≈ ½·w·∫f₊f₋, i.e. O(1/bins); with 65 536 bins it is ~1e-5 for typical maps.
//    The bound is computed and returned (`aurocErrorBound`), so a report can show it.
//  - AUPRO: inside one bin the exact curve is some monotone path between the same two end points;
//    the chord differs from it by at most ½·ΔFPR·ΔPRO, summed over bins up to the FPR limit and
//    divided by it (`auproErrorBound`).
//
// PRO with a single weighted histogram. Mean PRO over regions at threshold t is
//   (1/R)·Σ_regions |{p ∈ r : s_p >= t}| / |r|  =  (1/R)·Σ_{defect pixels p, s_p >= t} 1/|r(p)|,
// so one histogram of per-pixel weights 1/|r(p)| gives the same curve as per-region histograms,
// in O(bins) memory however many regions there are (R is only needed at the end).

import { labelComponents } from './connected-components';
import { checkScoresLabels, imageAuroc } from './image-metrics';

export interface PixelAccumulatorOptions {
  /** Number of bins, even, >= 2. Default 65 536. */
  bins?: number;
  /** Initial [lo, hi] (e.g. calibrated score range). Values outside still extend the range. */
  range?: [number, number];
  /** FPR limit of AUPRO. Default 0.3 (MVTec AD protocol). */
  maxFpr?: number;
}

export interface PixelMetrics {
  pixelAuroc: number;
  /** Upper bound of |pixelAuroc − exact AUROC| due to binning. */
  aurocErrorBound: number;
  /** ∫₀^maxFpr PRO(FPR) dFPR / maxFpr. NaN without defect regions or normal pixels. */
  aupro: number;
  auproErrorBound: number;
  maxFpr: number;
  nPositivePixels: number;
  nNegativePixels: number;
  nRegions: number;
  nImages: number;
  /** Final bin width (resolution of both metrics in score units). */
  binWidth: number;
}

export class PixelMetricsAccumulator {
  readonly bins: number;
  readonly maxFpr: number;
  private lo = NaN;
  private width = NaN;
  private pos: Float64Array;
  private neg: Float64Array;
  private proW: Float64Array;
  private nPos = 0;
  private nNeg = 0;
  private nRegions = 0;
  private nImages = 0;

  constructor(opts: PixelAccumulatorOptions = {}) {
    const bins = opts.bins ?? 65536;
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0)
      throw new Error(`bins must be an even integer >= 2, got ${bins}`);
    this.bins = bins;
    this.maxFpr = opts.maxFpr ?? 0.3;
    if (!(this.maxFpr > 0 && this.maxFpr <= 1))
      throw new Error(`maxFpr must be in (0, 1], got ${this.maxFpr}`);
    this.pos = new Float64Array(bins);
    this.neg = new Float64Array(bins);
    this.proW = new Float64Array(bins);
    if (opts.range) {
      const [a, b] = opts.range;
      if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) throw new Error(`bad range [${a}, ${b}]`);
      this.initRange(a, b);
    }
  }

  private initRange(min: number, max: number): void {
    let span = max - min;
    // A constant first map would give zero width; any positive width works since the range only
    // ever doubles from here, the choice costs at most a few doublings.
    if (!(span > 0)) span = Math.max(Math.abs(min) * 1e-6, 1e-12);
    this.lo = min;
    // A hair wider so that `max` itself lands in the last bin rather than just outside.
    this.width = (span / this.bins) * (1 + 1e-9);
  }

  private get hi(): number {
    return this.lo + this.width * this.bins;
  }

  private ensureRange(min: number, max: number): void {
    if (Number.isNaN(this.lo)) {
      this.initRange(min, max);
      return;
    }
    const B = this.bins;
    while (min < this.lo || max >= this.hi) {
      const left = min < this.lo;
      for (const h of [this.pos, this.neg, this.proW]) {
        if (left) {
          // New range [lo − span, hi): old bin i lands in new bin (B + i) / 2 >= i, so walk from
          // the top to never overwrite a pair before it is read.
          for (let i = B - 2; i >= 0; i -= 2) {
            const v = h[i] + h[i + 1];
            h[i] = 0;
            h[i + 1] = 0;
            h[(B + i) >> 1] = v;
          }
        } else {
          // New range [lo, hi + span): old bin i lands in new bin i / 2.
          for (let i = 0; i < B; i += 2) {
            const v = h[i] + h[i + 1];
            h[i] = 0;
            h[i + 1] = 0;
            h[i >> 1] = v;
          }
        }
      }
      if (left) this.lo -= this.width * B;
      this.width *= 2;
    }
  }

  /**
   * Adds one anomaly map and its ground truth (same width × height; any non-zero mask value is
   * defect; null = good image, all pixels normal).
   */
  add(map: ArrayLike<number>, mask: ArrayLike<number> | null, width: number, height: number): void {
    const n = width * height;
    if (map.length !== n) throw new Error(`map has ${map.length} values, expected ${width}×${height}`);
    if (mask && mask.length !== n)
      throw new Error(`mask has ${mask.length} values, expected ${width}×${height}`);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = map[i];
      if (!(v >= min)) {
        if (Number.isNaN(v)) throw new Error(`anomaly map value ${i} is NaN`);
        min = v;
      }
      if (v > max) max = v;
    }
    if (!Number.isFinite(min) || !Number.isFinite(max))
      throw new Error('anomaly map contains infinite values');
    this.ensureRange(min, max);
    const lo = this.lo;
    const inv = 1 / this.width;
    const last = this.bins - 1;
    const { pos, neg, proW } = this;
    let comps: ReturnType<typeof labelComponents> | null = null;
    if (mask) {
      let any = false;
      for (let i = 0; i < n && !any; i++) any = mask[i] !== 0;
      if (any) comps = labelComponents(mask, width, height);
    }
    if (!comps) {
      for (let i = 0; i < n; i++) {
        let b = ((map[i] - lo) * inv) | 0;
        if (b > last) b = last;
        neg[b]++;
      }
      this.nNeg += n;
    } else {
      const { labels, sizes, count } = comps;
      const w = new Float64Array(count + 1);
      for (let r = 1; r <= count; r++) w[r] = 1 / sizes[r];
      let p = 0;
      for (let i = 0; i < n; i++) {
        let b = ((map[i] - lo) * inv) | 0;
        if (b > last) b = last;
        const r = labels[i];
        if (r === 0) neg[b]++;
        else {
          pos[b]++;
          proW[b] += w[r];
          p++;
        }
      }
      this.nPos += p;
      this.nNeg += n - p;
      this.nRegions += count;
    }
    this.nImages++;
  }

  result(): PixelMetrics {
    const P = this.nPos;
    const N = this.nNeg;
    const R = this.nRegions;
    const maxFpr = this.maxFpr;
    let auroc = NaN;
    let aurocBound = NaN;
    if (P > 0 && N > 0) {
      let tp = 0;
      let area = 0;
      let ties = 0;
      for (let b = this.bins - 1; b >= 0; b--) {
        const p = this.pos[b];
        const q = this.neg[b];
        if (q !== 0) {
          // Trapezoid in count units: the q negatives of this bin each see the tp positives above
          // and half of the p positives tied with them.
          area += q * (tp + p / 2);
          ties += p * q;
        }
        tp += p;
      }
      auroc = area / (P * N);
      aurocBound = (0.5 * ties) / (P * N);
    }
    let aupro = NaN;
    let auproBound = NaN;
    if (R > 0 && N > 0) {
      let fpr = 0;
      let pro = 0;
      let area = 0;
      let err = 0;
      for (let b = this.bins - 1; b >= 0; b--) {
        const dF = this.neg[b] / N;
        const dP = this.proW[b] / R;
        if (dF === 0) {
          pro += dP;
          continue;
        }
        if (fpr + dF >= maxFpr) {
          // Cut the last segment at the FPR limit by linear interpolation along the chord.
          const t = (maxFpr - fpr) / dF;
          area += (maxFpr - fpr) * (pro + (pro + t * dP)) * 0.5;
          err += 0.5 * (maxFpr - fpr) * t * dP;
          break;
        }
        area += dF * (2 * pro + dP) * 0.5;
        err += 0.5 * dF * dP;
        fpr += dF;
        pro += dP;
      }
      aupro = area / maxFpr;
      auproBound = err / maxFpr;
    }
    return {
      pixelAuroc: auroc,
      aurocErrorBound: aurocBound,
      aupro,
      auproErrorBound: auproBound,
      maxFpr,
      nPositivePixels: P,
      nNegativePixels: N,
      nRegions: R,
      nImages: this.nImages,
      binWidth: this.width,
    };
  }
}

export interface MapWithMask {
  map: ArrayLike<number>;
  mask: ArrayLike<number> | null;
  width: number;
  height: number;
}

/** Exact pixel AUROC by sorting every pixel: the reference for tests and small sets. */
export function pixelAurocExact(items: readonly MapWithMask[]): number {
  let total = 0;
  for (const it of items) total += it.width * it.height;
  const s = new Float64Array(total);
  const l = new Uint8Array(total);
  let o = 0;
  for (const it of items) {
    const n = it.width * it.height;
    for (let i = 0; i < n; i++) {
      s[o + i] = it.map[i];
      l[o + i] = it.mask && it.mask[i] !== 0 ? 1 : 0;
    }
    o += n;
  }
  return imageAuroc(s, l);
}

/**
 * Exact AUPRO (all distinct scores as thresholds) by sorting every pixel; the reference for the
 * binned accumulator and fine up to a few million pixels. Same conventions as the accumulator.
 */
export function auproExact(items: readonly MapWithMask[], maxFpr = 0.3): number {
  let total = 0;
  for (const it of items) total += it.width * it.height;
  const s = new Float64Array(total);
  const w = new Float64Array(total); // 1/|region| for defect pixels, 0 for normal ones
  const isNeg = new Uint8Array(total);
  let R = 0;
  let N = 0;
  let o = 0;
  for (const it of items) {
    const n = it.width * it.height;
    if (it.map.length !== n) throw new Error('map size mismatch');
    const comps = it.mask ? labelComponents(it.mask, it.width, it.height) : null;
    for (let i = 0; i < n; i++) {
      s[o + i] = it.map[i];
      const r = comps ? comps.labels[i] : 0;
      if (r === 0) {
        isNeg[o + i] = 1;
        N++;
      } else w[o + i] = 1 / comps!.sizes[r];
    }
    R += comps ? comps.count : 0;
    o += n;
  }
  checkScoresLabels(s, isNeg);
  if (R === 0 || N === 0) return NaN;
  const idx = new Uint32Array(total);
  for (let i = 0; i < total; i++) idx[i] = i;
  idx.sort((a, b) => s[b] - s[a]);
  let fpr = 0;
  let pro = 0;
  let area = 0;
  let i = 0;
  while (i < total) {
    const v = s[idx[i]];
    let dF = 0;
    let dP = 0;
    while (i < total && s[idx[i]] === v) {
      const k = idx[i];
      if (isNeg[k]) dF++;
      else dP += w[k];
      i++;
    }
    dF /= N;
    dP /= R;
    if (dF > 0 && fpr + dF >= maxFpr) {
      const t = (maxFpr - fpr) / dF;
      area += (maxFpr - fpr) * (2 * pro + t * dP) * 0.5;
      break;
    }
    area += dF * (2 * pro + dP) * 0.5;
    fpr += dF;
    pro += dP;
  }
  return area / maxFpr;
}
