// Step 5 of the wizard: score the freshly fitted package on images it never saw — held-out good
// parts, synthetic anomalies made from them (DRAEM-style, src/main/synthetic) and the
// operator's known defects — and derive T1/T2 from the good scores for a target false-reject rate.
import sharp from 'sharp';
import type { CalibrationExample, CalibrationRates } from '@shared/training';
import { imageAuroc, lineRates, suggestThreshold } from '../eval/metrics';
import { blendOverlay, colorize, decodeImage, encodeJpeg } from '../imaging';
import { loadModelPackage, type ModelRunner } from '../models/runner';
import { loadRgb, type ImageInput } from '../models/preprocess';
import { deriveSeed, synthesizeAnomaly } from '../synthetic';
import { syntheticCount } from './methods';
import type { ScannedImage } from './scan';

export class CalibrationCancelled extends Error {
  constructor() {
    super('calibration cancelled');
    this.name = 'CalibrationCancelled';
  }
}

export interface ScoredImage {
  name: string;
  score: number;
}

type PreparedExample = Omit<CalibrationExample, 'verdict'>;

export interface CalibrationData {
  good: ScoredImage[];
  /** Raw (un-normalised) scores of the held-out good images, same order as `good`. */
  goodRaw: number[];
  synthetic: ScoredImage[];
  defect: ScoredImage[];
  aurocSynthetic: number | null;
  aurocDefect: number | null;
  ms: number;
  fitMs: number | null;
  histogram(t2: number): { edges: number[]; good: number[]; synthetic: number[]; defect: number[] };
  examples(t1: number, t2: number): CalibrationExample[];
}

export interface CalibrateOptions {
  modelDir: string;
  heldOut: ScannedImage[];
  defects: ScannedImage[];
  isCancelled: () => boolean;
  onProgress: (done: number, total: number) => void;
  seed?: number;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function calibrate(opts: CalibrateOptions): Promise<CalibrationData> {
  const t0 = performance.now();
  // One thread: the live loop may be inspecting on the other core.
  const runner = await loadModelPackage(opts.modelDir, { providerOrder: ['cpu'], intraOpNumThreads: 1 });
  try {
    const nSynth = syntheticCount(opts.heldOut.length);
    const total = opts.heldOut.length + nSynth + opts.defects.length;
    let done = 0;
    const tick = async (): Promise<void> => {
      done++;
      opts.onProgress(done, total);
      if (opts.isCancelled()) throw new CalibrationCancelled();
      await yieldToLoop();
    };

    const score = async (input: ImageInput): Promise<number> => (await runner.score(input)).normScore;
    const good: Array<ScoredImage & { input: ImageInput }> = [];
    const goodRaw: number[] = [];
    for (const img of opts.heldOut) {
      const out = await runner.score(img.path);
      good.push({ name: img.name, score: out.normScore, input: img.path });
      goodRaw.push(out.rawScore);
      await tick();
    }

    // Synthetic defects at the model's working resolution: Perlin masks on multi-megapixel
    // frames would cost seconds each and be shrunk away by the resize anyway.
    const bases = [];
    for (const img of opts.heldOut) bases.push(await workingCopy(img.path, runner));
    const synthetic: Array<ScoredImage & { input: ImageInput }> = [];
    for (let i = 0; i < nSynth && bases.length > 0; i++) {
      // Generated one at a time (not makeSyntheticSet's whole batch) so the event loop gets a
      // turn between samples; the texture is another held-out part, as makeSyntheticSet does.
      const n = bases.length;
      const b = i % n;
      const t = n > 1 ? (b + 1 + (Math.floor(i / n) % (n - 1))) % n : b;
      const s = synthesizeAnomaly(bases[b], bases[t], deriveSeed(opts.seed ?? 7, i));
      // An empty Perlin mask after every redraw is a clean image, not a defect.
      if (s.label === 1) {
        const input = {
          data: s.image.data,
          width: s.image.width,
          height: s.image.height,
          channels: 3 as const,
        };
        synthetic.push({
          name: `synthetic ${i + 1} (from ${opts.heldOut[b].name})`,
          score: await score(input),
          input,
        });
      }
      await tick();
    }

    const defect: Array<ScoredImage & { input: ImageInput }> = [];
    for (const img of opts.defects) {
      defect.push({ name: img.name, score: await score(img.path), input: img.path });
      await tick();
    }

    const auroc = (pos: ScoredImage[]): number | null => {
      if (good.length === 0 || pos.length === 0) return null;
      const scores = [...good.map((g) => g.score), ...pos.map((p) => p.score)];
      const labels = [...good.map(() => 0), ...pos.map(() => 1)];
      const v = imageAuroc(scores, labels);
      return Number.isFinite(v) ? v : null;
    };

    // Examples the operator can judge the heatmaps by: the least normal good part, the
    // weakest and the strongest synthetic defect, and the weakest and strongest real defect.
    const byScore = <T extends ScoredImage>(list: T[]): T[] => [...list].sort((a, b) => a.score - b.score);
    const picks: Array<{ kind: CalibrationExample['kind']; item: ScoredImage & { input: ImageInput } }> = [];
    const g = byScore(good);
    if (g.length) picks.push({ kind: 'good', item: g[g.length - 1] });
    const sy = byScore(synthetic);
    if (sy.length) picks.push({ kind: 'synthetic', item: sy[0] });
    if (sy.length > 1) picks.push({ kind: 'synthetic', item: sy[sy.length - 1] });
    const de = byScore(defect);
    if (de.length) picks.push({ kind: 'defect', item: de[0] });
    if (de.length > 1) picks.push({ kind: 'defect', item: de[de.length - 1] });
    const mapMax = maxGoodMapValue(runner);
    const prepared: PreparedExample[] = [];
    for (const p of picks) prepared.push(await overlayExample(runner, p.kind, p.item, mapMax));

    const plain = (list: Array<ScoredImage & { input: ImageInput }>): ScoredImage[] =>
      list.map(({ name, score }) => ({ name, score }));
    const data: CalibrationData = {
      good: plain(good),
      goodRaw,
      synthetic: plain(synthetic),
      defect: plain(defect),
      aurocSynthetic: auroc(synthetic),
      aurocDefect: auroc(defect),
      ms: performance.now() - t0,
      fitMs: null,
      histogram: (t2) => histogram(data, t2),
      examples: (t1, t2) =>
        prepared.map((e) => ({ ...e, verdict: e.score < t1 ? 'PASS' : e.score < t2 ? 'REVIEW' : 'FAIL' })),
    };
    return data;
  } finally {
    await runner.release();
  }
}

/** The image resized so its shorter side matches what the model resizes to (RGB, no alpha). */
async function workingCopy(
  path: string,
  runner: ModelRunner,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  const img = await decodeImage(path);
  const p = runner.info.preprocess;
  const target = p.resize > 0 ? p.resize : p.crop;
  const scale = target / Math.min(img.width, img.height);
  const width = p.resize > 0 ? Math.max(p.crop, Math.round(img.width * scale)) : p.crop;
  const height = p.resize > 0 ? Math.max(p.crop, Math.round(img.height * scale)) : p.crop;
  const { data } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/**
 * Heatmap colours span the raw map from the normalisation floor to the FAIL level of the
 * package's default thresholds, so every example is coloured on the same scale.
 */
function maxGoodMapValue(runner: ModelRunner): { min: number; max: number } {
  const n = runner.info.normalisation;
  const [lo, hi] = n.method === 'minmax' ? [n.min, n.max] : [n.low, n.high];
  return { min: lo, max: hi + (hi - lo) * 0.5 };
}

async function overlayExample(
  runner: ModelRunner,
  kind: CalibrationExample['kind'],
  item: ScoredImage & { input: ImageInput },
  range: { min: number; max: number },
): Promise<PreparedExample> {
  const out = await runner.score(item.input);
  const rgb = await loadRgb(item.input, runner.info.preprocess);
  // An image-level model has no map: the example shows the model's view without an overlay.
  const blended = out.map
    ? blendOverlay(rgb, colorize(out.map, out.width, out.height, { min: range.min, max: range.max }), 0.45)
    : rgb;
  const jpeg = await encodeJpeg(
    { data: blended, width: out.width, height: out.height, channels: 3 },
    { quality: 85 },
  );
  return {
    kind,
    name: item.name,
    score: item.score,
    overlayJpegBase64: jpeg.toString('base64'),
    width: out.width,
    height: out.height,
    ...(out.map ? {} : { imageLevel: true }),
  };
}

/**
 * T2 (FAIL) is the good-score quantile for the target false-reject rate; T1 (REVIEW) is the
 * quantile that lets `reviewBudget` more of the good parts into REVIEW. Both come from
 * suggestThreshold, so ties are never split.
 *
 * A handful of held-out images cannot resolve a 1 % quantile: with 8 of them every target below
 * 12.5 % lands just above the worst one, T1 collapses onto T2 and the next good part that scores
 * a hair higher fails. Where rate × n < 1 the threshold is therefore extrapolated from the good
 * scores' mean and spread (normal tail), and never set below the empirical quantile.
 */
export function suggestThresholds(
  goodScores: number[],
  targetFalseRejectRate: number,
  reviewBudget: number,
): { t1: number; t2: number } {
  if (goodScores.length === 0) return { t1: 1, t2: 1.5 };
  const t2 = suggestAt(goodScores, Math.min(0.99, targetFalseRejectRate));
  const t1 = suggestAt(goodScores, Math.min(0.99, targetFalseRejectRate + reviewBudget));
  return { t1: Math.min(t1, t2), t2 };
}

/** Rates below this are treated as this one for the tail (z ≈ 3.1): "zero" is not a quantile. */
const MIN_TAIL_RATE = 0.001;

function suggestAt(good: number[], rate: number): number {
  const empirical = suggestThreshold(good, rate).threshold;
  const n = good.length;
  if (n < 3 || rate * n >= 1) return empirical;
  const mean = good.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(good.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const tail = mean + normalQuantile(1 - Math.max(MIN_TAIL_RATE, rate)) * sd;
  return Math.max(empirical, tail);
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export function ratesAt(
  cal: Pick<CalibrationData, 'good' | 'synthetic' | 'defect'>,
  t1: number,
  t2: number,
): CalibrationRates {
  const goodRates = lineRates(
    cal.good.map((s) => s.score),
    cal.good.map(() => 0),
    t1,
    t2,
  );
  const rates = (list: ScoredImage[]) =>
    list.length
      ? lineRates(
          list.map((s) => s.score),
          list.map(() => 1),
          t1,
          t2,
        )
      : null;
  const syn = rates(cal.synthetic);
  const def = rates(cal.defect);
  const num = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);
  return {
    t1,
    t2,
    falseRejectRate: num(goodRates.falseRejectRate) ?? 0,
    goodReviewRate: num(goodRates.goodReviewRate) ?? 0,
    syntheticEscapeRate: num(syn?.escapeRate),
    syntheticReviewRate: num(syn?.defectReviewRate),
    defectEscapeRate: num(def?.escapeRate),
    defectReviewRate: num(def?.defectReviewRate),
  };
}

const BINS = 30;

function histogram(
  cal: Pick<CalibrationData, 'good' | 'synthetic' | 'defect'>,
  t2: number,
): { edges: number[]; good: number[]; synthetic: number[]; defect: number[] } {
  const all = [...cal.good, ...cal.synthetic, ...cal.defect].map((s) => s.score);
  const lo = Math.min(0, ...all);
  // Very high defect scores would squeeze the region around the thresholds; they go in the last bin.
  const sorted = [...all].sort((a, b) => a - b);
  const p95 = sorted.length ? sorted[Math.floor(0.95 * (sorted.length - 1))] : 1;
  const hi = Math.max(t2 * 1.5, p95, 1.2, lo + 1e-6);
  const width = (hi - lo) / BINS;
  const edges = Array.from({ length: BINS + 1 }, (_, i) => lo + i * width);
  const count = (list: ScoredImage[]): number[] => {
    const out = new Array<number>(BINS).fill(0);
    for (const s of list) out[Math.max(0, Math.min(BINS - 1, Math.floor((s.score - lo) / width)))]++;
    return out;
  };
  return { edges, good: count(cal.good), synthetic: count(cal.synthetic), defect: count(cal.defect) };
}
