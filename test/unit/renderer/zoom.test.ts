import { describe, expect, it } from 'vitest';
import { clampView, cssTransform, FIT, MAX_ZOOM, panBy, zoomAt } from '../../../src/renderer/src/lib/zoom';

/** Where a picture point (fractions of the picture) lands in the viewport under view v. */
const place = (v: { scale: number; x: number; y: number }, px: number, py: number) => [
  v.x + v.scale * px,
  v.y + v.scale * py,
];

describe('Review zoom arithmetic', () => {
  it('keeps the point under the cursor in place while zooming in and out', () => {
    let v = zoomAt(FIT, 2, 0.25, 0.75);
    expect(v.scale).toBe(2);
    // The picture point that was under (0.25, 0.75) at 1× is still there at 2×.
    expect(place(v, 0.25, 0.75)).toEqual([0.25, 0.75]);
    v = zoomAt(v, 1.5, 0.6, 0.4);
    const p = [(0.6 - v.x) / v.scale, (0.4 - v.y) / v.scale];
    expect(place(v, p[0], p[1])[0]).toBeCloseTo(0.6, 10);
    expect(place(v, p[0], p[1])[1]).toBeCloseTo(0.4, 10);
    expect(zoomAt(v, 1 / 100, 0.5, 0.5)).toEqual(FIT);
  });

  it('never zooms past the limits nor pans the picture off the viewport', () => {
    expect(zoomAt(FIT, 1000).scale).toBe(MAX_ZOOM);
    expect(zoomAt(FIT, 0.1)).toEqual(FIT);
    const v = zoomAt(FIT, 4, 0.5, 0.5);
    const far = panBy(v, 10, -10);
    expect(far).toEqual({ scale: 4, x: 0, y: -3 });
    // At 1× there is nothing to pan.
    expect(panBy(FIT, 0.3, 0.3)).toEqual(FIT);
    expect(clampView({ scale: 2, x: 0.5, y: -5 })).toEqual({ scale: 2, x: 0, y: -1 });
  });

  it('writes the view as a CSS transform relative to the viewport', () => {
    expect(cssTransform(FIT)).toBe('translate(0.000%, 0.000%) scale(1.0000)');
    expect(cssTransform({ scale: 2, x: -0.5, y: -0.25 })).toBe('translate(-50.000%, -25.000%) scale(2.0000)');
  });
});
