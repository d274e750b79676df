// Small geometric operations on interleaved RGB typed arrays. Hand-written (not sharp) because
// synthetic anomalies must be byte-identical for a seed on every machine and libvips version, and
// they run synchronously inside a training loop where a native round trip per sample would cost
// more than the arithmetic.

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export function checkRgb(img: RgbPixels, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(`${what} has invalid size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${what}: ${img.data.length} bytes, ${img.width}x${img.height} RGB needs ${img.width * img.height * 3}`,
    );
  }
}

/** Bilinear resize (pixel centres aligned, like align_corners=false), edge-clamped. */
export function resizeBilinear(img: RgbPixels, width: number, height: number): Uint8Array {
  const { data, width: sw, height: sh } = img;
  if (sw === width && sh === height) return data.slice();
  const out = new Uint8Array(width * height * 3);
  const sx = sw / width;
  const sy = sh / height;
  for (let y = 0; y < height; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(sh - 1, Math.floor(fy));
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(sw - 1, Math.floor(fx));
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const a = (y0 * sw + x0) * 3;
      const b = (y0 * sw + x1) * 3;
      const c = (y1 * sw + x0) * 3;
      const d = (y1 * sw + x1) * 3;
      const o = (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = data[a + ch] + (data[b + ch] - data[a + ch]) * wx;
        const bot = data[c + ch] + (data[d + ch] - data[c + ch]) * wx;
        out[o + ch] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return out;
}

/**
 * Rotation about the image centre by `degrees` (counter-clockwise on screen), bilinear, pixels from
 * outside the source are black — imgaug Affine(rotate=…) defaults, as DRAEM uses.
 */
export function rotateRgb(img: RgbPixels, degrees: number): Uint8Array {
  const { data, width: w, height: h } = img;
  const out = new Uint8Array(data.length);
  const th = (degrees * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse map: where in the source does this output pixel come from.
      const dx = x - cx;
      const dy = y - cy;
      const fx = cos * dx - sin * dy + cx;
      const fy = sin * dx + cos * dy + cy;
      const o = (y * w + x) * 3;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const wx = fx - x0;
      const wy = fy - y0;
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) {
          const xx = x0 + (k & 1);
          const yy = y0 + (k >> 1);
          const wgt = (k & 1 ? wx : 1 - wx) * (k >> 1 ? wy : 1 - wy);
          if (wgt === 0 || xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          acc += wgt * data[(yy * w + xx) * 3 + ch];
        }
        out[o + ch] = Math.round(acc);
      }
    }
  }
  return out;
}
