// Deterministic synthetic "machined plate" images for the demo line: brushed-metal texture, four
// drilled holes with a lit chamfer, a lighting gradient and sensor noise; defects are scratches,
// dents, missing holes and stains. Everything derives from a seed so every station generates the
// same demo set byte for byte (same PRNG, same arithmetic, PNG encoding by sharp). We generate
// instead of shipping images so the demo carries no third-party data and no licence question.
import { createRng, type Rng } from '../util/rng';

export type DefectKind = 'scratch' | 'dent' | 'missing_hole' | 'stain';
export const DEFECT_KINDS: readonly DefectKind[] = ['scratch', 'dent', 'missing_hole', 'stain'];

export interface PartImage {
  width: number;
  height: number;
  /** RGB, row-major. */
  data: Uint8Array;
  defect: DefectKind | null;
  /** Bounding box of the defect (pixels), for a ground-truth overlay; null on good parts. */
  box: { x: number; y: number; w: number; h: number } | null;
}

const HOLE_CENTRES: ReadonlyArray<readonly [number, number]> = [
  [0.27, 0.27],
  [0.73, 0.27],
  [0.27, 0.73],
  [0.73, 0.73],
];

/** Horizontal box blur with wrap-around: turns white noise into brushed streaks. */
function brushed(rng: Rng, w: number, h: number, radius: number): Float32Array {
  const white = new Float32Array(w * h);
  for (let i = 0; i < white.length; i++) white[i] = rng.normal();
  const out = new Float32Array(w * h);
  const span = 2 * radius + 1;
  // A box blur of N(0,1) has variance 1/span; rescale so the streak amplitude is independent of radius.
  const norm = Math.sqrt(span) / span;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    for (let k = -radius; k <= radius; k++) acc += white[row + ((k + w) % w)];
    for (let x = 0; x < w; x++) {
      out[row + x] = acc * norm;
      acc += white[row + ((x + radius + 1) % w)] - white[row + ((x - radius + w) % w)];
    }
  }
  return out;
}

function clamp8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by). */
function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  const qx = ax + t * dx - px;
  const qy = ay + t * dy - py;
  return Math.sqrt(qx * qx + qy * qy);
}

/**
 * One part. `seed` fixes texture, lighting, hole jitter and noise; `defect` adds one defect whose
 * placement also comes from the seed. Defects stay inside the central 80 % so a centre crop keeps them.
 */
export function renderPart(seed: number, defect: DefectKind | null, size = 256): PartImage {
  const rng = createRng(seed);
  const w = size;
  const h = size;
  const s = size / 256; // geometry is designed at 256 px and scaled
  const lum = new Float32Array(w * h);
  const tint = new Float32Array(w * h); // stain colour shift (positive = warmer/browner)

  // Lighting: a linear gradient in a slightly varying direction plus a soft vignette.
  const angle = rng.next() * 0.6 - 0.3 + Math.PI / 4;
  const gx = Math.cos(angle);
  const gy = Math.sin(angle);
  const base = 150 + rng.normal() * 4;
  const slope = 28 + rng.normal() * 3;
  const streaks = brushed(rng, w, h, Math.max(2, Math.round(18 * s)));
  const fine = brushed(rng, w, h, Math.max(1, Math.round(3 * s)));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w - 0.5;
      const v = y / h - 0.5;
      const grad = (u * gx + v * gy) * slope * 1.4;
      const vignette = -40 * (u * u + v * v);
      lum[y * w + x] = base + grad + vignette + streaks[y * w + x] * 7 + fine[y * w + x] * 3;
    }
  }

  // Holes: a dark bore with a chamfer that is bright on the side facing the light.
  const holeR = 14 * s;
  const chamfer = 3.5 * s;
  const missing = defect === 'missing_hole' ? rng.int(HOLE_CENTRES.length) : -1;
  const jitter = HOLE_CENTRES.map(() => [rng.normal() * 1.2 * s, rng.normal() * 1.2 * s] as const);
  HOLE_CENTRES.forEach(([fx, fy], i) => {
    if (i === missing) return;
    const cx = fx * w + jitter[i][0];
    const cy = fy * h + jitter[i][1];
    const r = holeR + chamfer + 2;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(h, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(w, Math.ceil(cx + r)); x++) {
        const dx = x - cx;
        const dy = y - cy;
        const d = Math.sqrt(dx * dx + dy * dy);
        const idx = y * w + x;
        if (d < holeR) {
          // Bore: dark, a little lighter towards the lit wall.
          lum[idx] = 30 + 12 * (1 - d / holeR) + 10 * ((-dx * gx - dy * gy) / holeR);
        } else if (d < holeR + chamfer) {
          const facing = (dx * gx + dy * gy) / (d || 1); // −1 facing the light … +1 away
          const a = Math.min(1, (holeR + chamfer - d) / 1.0); // soft outer edge
          lum[idx] = lum[idx] * (1 - a) + (165 - 70 * facing) * a;
        }
      }
    }
  });

  let box: PartImage['box'] = null;
  const lo = 0.16 * size;
  const hi = 0.84 * size;
  const pick = (): number => lo + rng.next() * (hi - lo);
  if (defect === 'scratch') {
    const ax = pick();
    const ay = pick();
    const len = (45 + rng.next() * 70) * s;
    const th = rng.next() * Math.PI;
    const bx = Math.max(lo, Math.min(hi, ax + Math.cos(th) * len));
    const by = Math.max(lo, Math.min(hi, ay + Math.sin(th) * len));
    const bright = rng.next() < 0.5;
    const halfWidth = (0.7 + rng.next() * 0.8) * s;
    const amp = bright ? 70 : -65;
    for (let y = Math.floor(Math.min(ay, by) - 4); y <= Math.ceil(Math.max(ay, by) + 4); y++) {
      for (let x = Math.floor(Math.min(ax, bx) - 4); x <= Math.ceil(Math.max(ax, bx) + 4); x++) {
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const d = segDist(x, y, ax, ay, bx, by);
        const a = Math.max(0, Math.min(1, halfWidth + 0.5 - d)); // anti-aliased edge
        lum[y * w + x] += amp * a;
      }
    }
    box = {
      x: Math.floor(Math.min(ax, bx)),
      y: Math.floor(Math.min(ay, by)),
      w: Math.ceil(Math.abs(bx - ax)) + 1,
      h: Math.ceil(Math.abs(by - ay)) + 1,
    };
  } else if (defect === 'dent') {
    const cx = pick();
    const cy = pick();
    const r = (8 + rng.next() * 6) * s;
    // A Gaussian depression lit from the gradient direction: darker overall, with a highlight
    // on the wall facing the light (the directional derivative of the depth profile).
    for (let y = Math.max(0, Math.floor(cy - 3 * r)); y < Math.min(h, Math.ceil(cy + 3 * r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - 3 * r)); x < Math.min(w, Math.ceil(cx + 3 * r)); x++) {
        const dx = (x - cx) / r;
        const dy = (y - cy) / r;
        const g = Math.exp(-(dx * dx + dy * dy) / 2);
        const shade = (dx * gx + dy * gy) * g;
        lum[y * w + x] += -45 * g + 55 * shade;
      }
    }
    box = { x: Math.floor(cx - 2 * r), y: Math.floor(cy - 2 * r), w: Math.ceil(4 * r), h: Math.ceil(4 * r) };
  } else if (defect === 'stain') {
    const cx = pick();
    const cy = pick();
    const r = (14 + rng.next() * 10) * s;
    const blobs = Array.from(
      { length: 4 },
      () => [cx + rng.normal() * r * 0.5, cy + rng.normal() * r * 0.5, r * (0.4 + rng.next() * 0.5)] as const,
    );
    for (let y = Math.max(0, Math.floor(cy - 2.5 * r)); y < Math.min(h, Math.ceil(cy + 2.5 * r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - 2.5 * r)); x < Math.min(w, Math.ceil(cx + 2.5 * r)); x++) {
        let a = 0;
        for (const [bx, by, br] of blobs) {
          const d2 = ((x - bx) ** 2 + (y - by) ** 2) / (br * br);
          a += Math.exp(-d2 * 1.5);
        }
        a = Math.min(1, a) * 0.55;
        const idx = y * w + x;
        lum[idx] = lum[idx] * (1 - a) + 95 * a;
        tint[idx] += 30 * a;
      }
    }
    box = {
      x: Math.floor(cx - 1.5 * r),
      y: Math.floor(cy - 1.5 * r),
      w: Math.ceil(3 * r),
      h: Math.ceil(3 * r),
    };
  } else if (defect === 'missing_hole') {
    // The seat was spot-faced but never drilled: a flat turned disc (concentric tool marks)
    // where the bore belongs. Without such a trace a missing hole is plain, locally normal metal,
    // which a patch-based model cannot tell from the surface around it (a "logical" anomaly).
    const [fx, fy] = HOLE_CENTRES[missing];
    const cx = fx * w + jitter[missing][0];
    const cy = fy * h + jitter[missing][1];
    const r = holeR;
    for (let y = Math.max(0, Math.floor(cy - r - 2)); y < Math.min(h, Math.ceil(cy + r + 2)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r - 2)); x < Math.min(w, Math.ceil(cx + r + 2)); x++) {
        const dx = x - cx;
        const dy = y - cy;
        const d = Math.sqrt(dx * dx + dy * dy);
        const idx = y * w + x;
        if (d < r) lum[idx] = 178 + 14 * Math.sin(d * (2.4 / s)) - 18 * ((dx * gx + dy * gy) / r);
        else if (d < r + 1.2 * s) lum[idx] -= 40;
      }
    }
    box = {
      x: Math.floor(fx * w - holeR - chamfer),
      y: Math.floor(fy * h - holeR - chamfer),
      w: Math.ceil(2 * (holeR + chamfer)),
      h: Math.ceil(2 * (holeR + chamfer)),
    };
  }

  // Sensor noise last, so defects carry the same noise as the surface around them.
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const v = lum[i] + rng.normal() * 3.5;
    data[i * 3] = clamp8(v + 2 + tint[i]);
    data[i * 3 + 1] = clamp8(v + 1 + tint[i] * 0.35);
    data[i * 3 + 2] = clamp8(v + 5 - tint[i] * 0.6);
  }
  return { width: w, height: h, data, defect, box };
}
