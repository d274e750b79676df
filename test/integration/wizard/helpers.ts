// Fixtures for the wizard and model-store tests: generated machined parts (the demo generator,
// so no dataset is needed) and hand-built ONNX packages, good and broken.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderPart, type DefectKind } from '../../../src/main/demo/generate';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';

export async function writeParts(
  dir: string,
  count: number,
  opts: { seed: number; defect?: DefectKind | null; size?: number; prefix?: string },
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const part = renderPart(opts.seed + i, opts.defect ?? null, opts.size ?? 160);
    const file = join(dir, `${opts.prefix ?? 'part'}_${String(i).padStart(3, '0')}.png`);
    await sharp(part.data, { raw: { width: part.width, height: part.height, channels: 3 } })
      .png()
      .toFile(file);
    files.push(file);
  }
  return files;
}

/**
 * An anomalib-style export: input "input" 1×3×S×S, anomaly_map = per-pixel mean of x² over the
 * channels, pred_score = its maximum. Outputs named as anomalib names them.
 */
export function anomalibLikeOnnx(size = 32, opts: { scoreName?: string } = {}): Uint8Array {
  const g = new GraphBuilder('anomalib-like');
  const x = g.input('input', 'float32', [1, 3, size, size]);
  const sq = g.mul(x, x, 'sq');
  const map = g.reduce('ReduceMean', sq, [1], true, 'anomaly_map');
  const score = g.reduce('ReduceMax', map, [1, 2, 3], false, opts.scoreName ?? 'pred_score');
  g.output(score);
  g.output(map);
  return serializeModel(g.toModelProto());
}

export function writeAnomalibPackage(
  dir: string,
  opts: { scoreName?: string; metadata?: unknown } = {},
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), anomalibLikeOnnx(32, opts));
  if (opts.metadata !== undefined) writeFileSync(join(dir, 'metadata.json'), JSON.stringify(opts.metadata));
  return dir;
}
