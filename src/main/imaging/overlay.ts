// Heatmap over the frame, as the Live and Review screens show it.
export interface BlendOptions {
  /** Per-pixel weight: Uint8Array 0..255 or Float32Array 0..1 (e.g. only above threshold T1). */
  mask?: Uint8Array | Float32Array;
  out?: Uint8Array;
}

/** out = rgb·(1 − a·m) + heat·a·m per channel, rounded. */
export function blendOverlay(
  rgb: Uint8Array,
  heatRgb: Uint8Array,
  alpha: number,
  options: BlendOptions = {},
): Uint8Array {
  if (rgb.length !== heatRgb.length || rgb.length % 3 !== 0) {
    throw new RangeError(
      `Image (${rgb.length} bytes) and heatmap (${heatRgb.length} bytes) must be equal-size RGB.`,
    );
  }
  const a = Math.min(1, Math.max(0, alpha));
  const pixels = rgb.length / 3;
  const { mask } = options;
  if (mask && mask.length !== pixels)
    throw new RangeError(`Mask has ${mask.length} values; expected ${pixels}.`);
  const out = options.out ?? new Uint8Array(rgb.length);
  const maskScale = mask instanceof Uint8Array ? 1 / 255 : 1;
  for (let p = 0, i = 0; p < pixels; p++) {
    let w = a;
    if (mask) {
      const m = mask[p] * maskScale;
      w = a * (m > 0 ? (m < 1 ? m : 1) : 0);
    }
    for (let c = 0; c < 3; c++, i++) out[i] = Math.round(rgb[i] + (heatRgb[i] - rgb[i]) * w);
  }
  return out;
}
