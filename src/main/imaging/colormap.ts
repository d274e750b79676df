// Anomaly maps → colours. LUTs are 256×RGB so colouring a map is one lookup per pixel.
export type ColorLut = Uint8Array;

function buildLut(fn: (t: number) => [number, number, number]): ColorLut {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = fn(i / 255);
    lut[i * 3] = to8(r);
    lut[i * 3 + 1] = to8(g);
    lut[i * 3 + 2] = to8(b);
  }
  return lut;
}

function to8(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

/**
 * Turbo from Google's published polynomial fit (Mikhailov, 2019). It departs from the
 * tabulated map by a few percent at the extremes, which does not matter for a heatmap.
 */
export const TURBO: ColorLut = buildLut((x) => {
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x2 * x2;
  const x5 = x4 * x;
  return [
    0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5,
    0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5,
    0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5,
  ];
});

type Segment = ReadonlyArray<readonly [number, number]>;

function piecewise(points: Segment, t: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x0, y0] = points[i - 1];
    if (t <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (t - x0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

/** Classic jet, with matplotlib's segment points so heatmaps match what users know from Python tools. */
export const JET: ColorLut = buildLut((t) => [
  piecewise(
    [
      [0, 0],
      [0.35, 0],
      [0.66, 1],
      [0.89, 1],
      [1, 0.5],
    ],
    t,
  ),
  piecewise(
    [
      [0, 0],
      [0.125, 0],
      [0.375, 1],
      [0.64, 1],
      [0.91, 0],
      [1, 0],
    ],
    t,
  ),
  piecewise(
    [
      [0, 0.5],
      [0.11, 1],
      [0.34, 1],
      [0.65, 0],
      [1, 0],
    ],
    t,
  ),
]);

export const COLOR_MAPS = { turbo: TURBO, jet: JET } as const;

/** Map value → LUT index; NaN counts as the minimum so a bad pixel never looks anomalous. */
function indexer(min: number, max: number): (v: number) => number {
  const span = max - min;
  if (!(span > 0)) return (v) => (v > min ? 255 : 0);
  const k = 255 / span;
  return (v) => {
    const i = Math.round((v - min) * k);
    return i > 0 ? (i < 255 ? i : 255) : 0;
  };
}

export function encodeMap8(map: Float32Array, min: number, max: number, out?: Uint8Array): Uint8Array {
  const target = out ?? new Uint8Array(map.length);
  if (target.length < map.length) throw new RangeError('Output is smaller than the map.');
  const idx = indexer(min, max);
  for (let i = 0; i < map.length; i++) target[i] = idx(map[i]);
  return target;
}

export interface ColorizeOptions {
  min: number;
  max: number;
  lut?: ColorLut;
  out?: Uint8Array;
}

export function colorize(
  map: Float32Array,
  width: number,
  height: number,
  options: ColorizeOptions,
): Uint8Array {
  const n = width * height;
  if (map.length !== n) throw new RangeError(`Map has ${map.length} values; ${width}x${height} needs ${n}.`);
  const lut = options.lut ?? TURBO;
  if (lut.length !== 768) throw new RangeError('A colour LUT must hold 256 RGB entries.');
  const out = options.out ?? new Uint8Array(n * 3);
  if (out.length < n * 3) throw new RangeError('Output is smaller than the map.');
  const idx = indexer(options.min, options.max);
  for (let i = 0, d = 0; i < n; i++) {
    const l = idx(map[i]) * 3;
    out[d++] = lut[l];
    out[d++] = lut[l + 1];
    out[d++] = lut[l + 2];
  }
  return out;
}
