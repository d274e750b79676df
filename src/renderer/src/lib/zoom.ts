// Zoom and pan of a picture in its viewport, as plain arithmetic (unit-tested). Offsets are in
// fractions of the viewport (the viewport is 1 × 1), so one view applies to the image, heatmap and
// overlay side by side whatever their pixel sizes, and the overlay stays on the part it marks.
// The view is `translate(x, y) scale(scale)` from the top-left corner; the picture always covers
// the viewport (no panning off into the void).

export interface ZoomState {
  scale: number;
  x: number;
  y: number;
}

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 8;
export const ZOOM_STEP = 1.25;
export const FIT: ZoomState = { scale: 1, x: 0, y: 0 };

/** Keeps the scaled picture over the whole viewport. */
export function clampView(v: ZoomState): ZoomState {
  const scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.scale));
  const x = Math.min(0, Math.max(1 - scale, v.x));
  const y = Math.min(0, Math.max(1 - scale, v.y));
  return { scale, x, y };
}

/** Zooms by `factor`, keeping the picture point under (cx, cy) (fractions of the viewport) in place. */
export function zoomAt(v: ZoomState, factor: number, cx = 0.5, cy = 0.5): ZoomState {
  const scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.scale * factor));
  const px = (cx - v.x) / v.scale;
  const py = (cy - v.y) / v.scale;
  return clampView({ scale, x: cx - scale * px, y: cy - scale * py });
}

/** Moves the picture by (dx, dy) fractions of the viewport. */
export function panBy(v: ZoomState, dx: number, dy: number): ZoomState {
  return clampView({ scale: v.scale, x: v.x + dx, y: v.y + dy });
}

/** CSS for the picture inside its viewport (percentages of its own box = the viewport's). */
export function cssTransform(v: ZoomState): string {
  return `translate(${(v.x * 100).toFixed(3)}%, ${(v.y * 100).toFixed(3)}%) scale(${v.scale.toFixed(4)})`;
}
