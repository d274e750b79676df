// Laying a model-sized heatmap over the frame it came from. Drawn into a canvas (not positioned
// with inline styles, which the CSP forbids), so the picture is exactly what the operator sees.
import type { HeatmapFit } from '@shared/station';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The part of a w × h frame the model looked at, in the frame's pixels (mirrors preprocessing). */
export function heatmapRect(fit: HeatmapFit | null | undefined, w: number, h: number): Rect {
  if (!fit || fit.resize <= 0 || fit.crop <= 0) return { x: 0, y: 0, w, h };
  const s = fit.resize / Math.min(w, h);
  const rw = Math.max(fit.crop, Math.round(w * s));
  const rh = Math.max(fit.crop, Math.round(h * s));
  const left = Math.floor((rw - fit.crop) / 2);
  const top = Math.floor((rh - fit.crop) / 2);
  return { x: (left / rw) * w, y: (top / rh) * h, w: (fit.crop / rw) * w, h: (fit.crop / rh) * h };
}

/** Frame, then (optionally) the heatmap over the inspected region at `opacity`. */
export function composeOverlay(
  canvas: HTMLCanvasElement,
  frame: HTMLImageElement,
  heat: CanvasImageSource | null,
  fit: HeatmapFit | null | undefined,
  opacity: number,
): void {
  const w = frame.naturalWidth;
  const h = frame.naturalHeight;
  if (!w || !h) return;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.globalAlpha = 1;
  ctx.drawImage(frame, 0, 0, w, h);
  if (heat && opacity > 0) {
    const r = heatmapRect(fit, w, h);
    ctx.globalAlpha = Math.min(1, opacity);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heat, r.x, r.y, r.w, r.h);
    ctx.globalAlpha = 1;
  }
}

/** Decodes a data URL into an image element; resolves once it can be drawn. */
export async function loadImage(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode();
  return img;
}

/**
 * Stored heatmaps are opaque colour PNGs whose low end is near black. Laid over a part as they
 * are, they would darken the whole inspected square; this makes dark (normal) pixels see-through
 * so only the anomalous regions tint the picture, as on the Live screen.
 */
export function fadeLowValues(heat: HTMLImageElement): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = heat.naturalWidth;
  c.height = heat.naturalHeight;
  const ctx = c.getContext('2d');
  if (!ctx || !c.width || !c.height) return c;
  ctx.drawImage(heat, 0, 0);
  const img = ctx.getImageData(0, 0, c.width, c.height);
  const px = img.data;
  for (let o = 0; o < px.length; o += 4) {
    const m = Math.max(px[o], px[o + 1], px[o + 2]);
    px[o + 3] = Math.min(255, Math.max(0, (m - 40) * 1.6));
  }
  ctx.putImageData(img, 0, 0);
  return c;
}
