// model.json of a model package (docs/architecture.md "Models on disk"). One schema for every
// method; method-specific settings live under `params`.
import { z } from 'zod';

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const modelJsonSchema = z.object({
  format: z.literal('inspection-model'),
  formatVersion: z.literal(1),
  method: z.string().min(1),
  /** The name people know this model by (given when the wizard saves it). */
  name: z.string().min(1).max(80).optional(),
  version: z.string().min(1),
  backbone: z.object({
    id: z.string().min(1),
    taps: z
      .array(
        z.object({
          name: z.string(),
          stride: z.number().int().positive(),
          channels: z.number().int().positive(),
          size: z.number().int().positive().optional(),
        }),
      )
      .default([]),
  }),
  input: z.object({
    name: z.string().min(1).default('input'),
    layout: z.literal('NCHW').default('NCHW'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Shorter side before the centre crop; 0 = resize straight to width × height. */
    resize: z.number().int().nonnegative(),
    mean: triple,
    std: triple.refine((s) => s.every((v) => v > 0), 'std entries must be > 0'),
    channelOrder: z.enum(['RGB', 'BGR']),
  }),
  /** `map: null`: an image-level method (OCR-GAN) whose graph outputs no anomaly map. */
  outputs: z
    .object({
      score: z.string().default('pred_score'),
      map: z.string().min(1).nullable().default('anomaly_map'),
    })
    .default({ score: 'pred_score', map: 'anomaly_map' }),
  params: z.record(z.string(), z.unknown()).default({}),
  /** How the method as fitted here differs from its published recipe (docs/methods.md); every method writes it. */
  deviations: z.array(z.string()).default([]),
  normalisation: z.discriminatedUnion('method', [
    z.object({ method: z.literal('minmax'), min: z.number(), max: z.number() }),
    z.object({
      method: z.literal('quantile'),
      low: z.number(),
      high: z.number(),
      lowQ: z.number(),
      highQ: z.number(),
    }),
  ]),
  /** On the normalised scale: PASS below t1, REVIEW between, FAIL at or above t2. */
  thresholds: z
    .object({ t1: z.number(), t2: z.number() })
    .refine((t) => t.t1 <= t.t2, 't1 must not exceed t2'),
  training: z.object({
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 hex'),
    imageCount: z.number().int().nonnegative(),
    calibrationCount: z.number().int().nonnegative(),
    calibrationSource: z.string().optional(),
    /**
     * Methods that train on the engine: the execution provider that ran the training step and why
     * each one before it in the order was skipped. Packages written before it was recorded lack it.
     */
    device: z
      .object({
        provider: z.string().min(1),
        skipped: z.array(z.object({ name: z.string().min(1), reason: z.string() }).strict()),
      })
      .strict()
      .optional(),
  }),
  createdAt: z.iso.datetime(),
  metrics: z.record(z.string(), z.unknown()).default({}),
});

export type ModelJson = z.infer<typeof modelJsonSchema>;

/** anomalib's exported metadata.json: only the fields we can use, everything optional. */
export const anomalibMetadataSchema = z.looseObject({
  image_threshold: z.number().optional(),
  pixel_threshold: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  pred_scores: z.looseObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
  image_size: z.union([z.number(), z.tuple([z.number(), z.number()])]).optional(),
});

export type AnomalibMetadata = z.infer<typeof anomalibMetadataSchema>;

export function normaliseScore(raw: number, n: ModelJson['normalisation']): number {
  const [lo, hi] = n.method === 'minmax' ? [n.min, n.max] : [n.low, n.high];
  const span = hi - lo;
  return span > 0 ? (raw - lo) / span : raw - lo;
}

/** Inverse of normaliseScore: the raw score that normalises to `norm`. */
export function denormalise(norm: number, n: ModelJson['normalisation']): number {
  const [lo, hi] = n.method === 'minmax' ? [n.min, n.max] : [n.low, n.high];
  const span = hi - lo;
  return span > 0 ? lo + norm * span : lo + norm;
}

/**
 * Fixed display range of anomaly maps for a model: the "typical good" level (normalised 0) to the
 * FAIL threshold. A per-frame min–max would paint every good part's noise bright red.
 */
export function heatRange(n: ModelJson['normalisation'], t2: number): { min: number; max: number } {
  const min = denormalise(0, n);
  const max = denormalise(Math.max(t2, 1e-6), n);
  return max > min ? { min, max } : { min, max: min + 1 };
}

export function verdictOf(norm: number, t: ModelJson['thresholds']): 'PASS' | 'REVIEW' | 'FAIL' {
  if (norm < t.t1) return 'PASS';
  return norm < t.t2 ? 'REVIEW' : 'FAIL';
}
