// Where a model's anomaly map sits on the frame: heatmaps are at the model's input size, and
// the UI needs the package's resize + centre crop to lay them over the right region.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { HeatmapFit, ResultSnapshot } from '@shared/station';

export function withFit(
  snap: ResultSnapshot,
  dir: string | null,
  fitOfDir: (dir: string) => HeatmapFit | null,
): ResultSnapshot {
  const fit = dir ? fitOfDir(dir) : null;
  if (fit && snap.heatmap) snap.heatmap = { ...snap.heatmap, fit };
  return snap;
}

/**
 * Native packages record `input.resize` (shorter side before the centre crop) and the input size in
 * model.json; anomalib exports are fed the whole frame squeezed to the input size (resize 0).
 */
export function readHeatmapFit(dir: string): HeatmapFit | null {
  if (!isAbsolute(dir)) return null;
  try {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      input?: { resize?: unknown; width?: unknown };
      outputs?: { map?: unknown };
    };
    const crop = Number(json.input?.width);
    const resize = Number(json.input?.resize ?? 0);
    if (!(Number.isFinite(crop) && crop > 0)) return null;
    const fit: HeatmapFit = { resize: Number.isFinite(resize) ? resize : 0, crop };
    if (json.outputs?.map === null) fit.imageLevel = true;
    return fit;
  } catch {
    try {
      // No model.json: an anomalib export, which takes the whole frame.
      statSync(join(dir, 'model.onnx'));
      return { resize: 0, crop: 0 };
    } catch {
      return null;
    }
  }
}
