// Colouring the 8-bit anomaly map happens here, in the renderer: the station sends one byte per
// pixel (fixed range: 0 = good, 255 = at the FAIL threshold), which is a third of an RGB image on
// the wire and lets the operator change opacity without a round trip.

/** Turbo (Mikhailov 2019, Google's polynomial fit): perceptually ordered, readable on grey parts. */
export const TURBO_LUT: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    const x2 = x * x;
    const x3 = x2 * x;
    const x4 = x2 * x2;
    const x5 = x4 * x;
    const r =
      0.13572138 +
      4.6153926 * x -
      42.66032258 * x2 +
      132.13108234 * x3 -
      152.94239396 * x4 +
      59.28637943 * x5;
    const g =
      0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
    const b =
      0.1066733 +
      12.64194608 * x -
      60.58204836 * x2 +
      110.36276771 * x3 -
      89.90310912 * x4 +
      27.34824973 * x5;
    lut[i * 3] = Math.round(Math.min(1, Math.max(0, r)) * 255);
    lut[i * 3 + 1] = Math.round(Math.min(1, Math.max(0, g)) * 255);
    lut[i * 3 + 2] = Math.round(Math.min(1, Math.max(0, b)) * 255);
  }
  return lut;
})();

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Paints an 8-bit map into a canvas of the map's size (CSS scales it over the frame). Low values
 * fade out, so a good part shows its own surface instead of a blue wash, while anything near the
 * FAIL threshold is fully opaque; `opacity` scales the whole layer.
 */
export function paintHeatmap(
  canvas: HTMLCanvasElement,
  map: Uint8Array,
  width: number,
  height: number,
  opacity: number,
): void {
  if (map.length < width * height) return;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  const px = img.data;
  const a = Math.max(0, Math.min(1, opacity)) * 255;
  for (let i = 0, n = width * height; i < n; i++) {
    const v = map[i];
    const l = v * 3;
    const o = i * 4;
    px[o] = TURBO_LUT[l];
    px[o + 1] = TURBO_LUT[l + 1];
    px[o + 2] = TURBO_LUT[l + 2];
    // Alpha ramps up over the lower third of the range: a clean part stays visible through the
    // map, anything approaching the FAIL level is painted solid.
    px[o + 3] = a * Math.min(1, (v / 255) * 3);
  }
  ctx.putImageData(img, 0, 0);
}

/** Horizontal colour bar for the legend, drawn once per mount. */
export function paintLegend(canvas: HTMLCanvasElement): void {
  const width = 256;
  const height = 1;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width; i++) {
    img.data[i * 4] = TURBO_LUT[i * 3];
    img.data[i * 4 + 1] = TURBO_LUT[i * 3 + 1];
    img.data[i * 4 + 2] = TURBO_LUT[i * 3 + 2];
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
