// One category's test split scored through the model runner the live loop uses: what `station
// eval` and the methods' benchmark scripts measure.
import type { ModelOutput, ModelRunner } from '../models/runner';
import type { TestItem } from './datasets';
import { loadMask } from './image-io';
import { CategoryEvaluator, type CategoryMetrics } from './metrics';

/** `count` items spread evenly over `items` (every k-th), deterministic; all of them when fewer. */
export function evenSubsample<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return items.slice();
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

export async function evaluateRunner(
  runner: ModelRunner,
  tests: readonly TestItem[],
  o: {
    /** Every defective image has a mask: pixel metrics are meaningful. */
    hasMasks: boolean;
    /** Which score the image metrics rank: the graph's raw one or the package-normalised one. */
    score: 'raw' | 'normalised';
    /** Line rates at these thresholds (default: at the F1-max threshold). */
    thresholds?: { t1: number; t2?: number };
    onItem?: (item: TestItem, out: ModelOutput, index: number) => void;
  },
): Promise<{ metrics: CategoryMetrics; latenciesMs: number[] }> {
  const evaluator = new CategoryEvaluator();
  const latenciesMs: number[] = [];
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i];
    const t0 = performance.now();
    const out = await runner.score(t.path);
    const latencyMs = performance.now() - t0;
    latenciesMs.push(latencyMs);
    const mask = t.maskPath || o.hasMasks ? await loadMask(t.maskPath, t.path, runner.info.preprocess) : null;
    evaluator.add({
      path: t.path,
      label: t.label,
      score: o.score === 'raw' ? out.rawScore : out.normScore,
      latencyMs,
      map: mask ? (out.map ?? undefined) : undefined,
      mask: mask && t.label === 1 ? mask : null,
      width: out.width,
      height: out.height,
    });
    o.onItem?.(t, out, i);
  }
  return { metrics: evaluator.finish(o.thresholds), latenciesMs };
}
