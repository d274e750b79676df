// Heatmap overlay PNG for reports and `station predict`: the model's input view of the image
// with the anomaly map colour-mapped (turbo) on top, on the same fixed range the Live screen
// uses (typical good → FAIL threshold).
import { encodePng } from '../imaging/encode';
import { colorize } from '../imaging/colormap';
import { blendOverlay } from '../imaging/overlay';
import { loadRgb } from '../models/preprocess';
import type { ModelOutput, ModelRunner } from '../models/runner';
import { heatRange } from '../models/schema';

export async function overlayPng(
  runner: ModelRunner,
  path: string,
  scored?: ModelOutput,
  alpha = 0.45,
): Promise<Buffer> {
  const out = scored ?? (await runner.score(path));
  if (!out.map) throw new Error(`${runner.info.method} is an image-level method: no heatmap to overlay`);
  const rgb = await loadRgb(path, runner.info.preprocess);
  const range = heatRange(runner.info.normalisation, runner.info.thresholds.t2);
  const heat = colorize(out.map, out.width, out.height, range);
  return encodePng({
    width: out.width,
    height: out.height,
    channels: 3,
    data: blendOverlay(rgb, heat, alpha),
  });
}
