// DRAEM training batches: each sample is a good image through the station's anomaly simulation
// (src/main/synthetic) with a procedural or user texture. A sample is a pure function of
// (seed, global sample index), so a resumed run replays exactly the batches it would have seen.
import {
  drawTexture,
  synthesizeAnomaly,
  type RgbPixels,
  type SyntheticAnomaly,
  type TextureKind,
} from '../../synthetic';
import { createRng, deriveSeed } from '../../util/rng';

export interface SimulationOptions {
  cleanProbability: number;
  preRotateProbability: number;
  /** Decoded user textures (may be empty). */
  userTextures: readonly RgbPixels[];
}

/** One simulated training sample of `images[index]`, drawn from seed `seed`. */
export function simulateSample(
  image: RgbPixels,
  cropPool: readonly RgbPixels[],
  seed: number,
  o: SimulationOptions,
): SyntheticAnomaly & { textureKind: TextureKind } {
  const rng = createRng(seed);
  const texture = drawTexture(rng, image.width, image.height, { cropPool, userTextures: o.userTextures });
  const s = synthesizeAnomaly(image, texture, rng, {
    cleanProbability: o.cleanProbability,
    preRotateProbability: o.preRotateProbability,
    preRotateMaxDegrees: 90,
    maxBeta: 0.8,
    augmentCount: 3,
  });
  return { ...s, textureKind: texture.kind };
}

/** Interleaved RGB bytes → planar floats in [0, 1] at batch slot `slot` of an [N, 3, S, S] array. */
function toPlanar(rgb: Uint8Array, out: Float32Array, slot: number): void {
  const hw = rgb.length / 3;
  const o = slot * 3 * hw;
  for (let p = 0; p < hw; p++) {
    out[o + p] = rgb[p * 3] / 255;
    out[o + hw + p] = rgb[p * 3 + 1] / 255;
    out[o + 2 * hw + p] = rgb[p * 3 + 2] / 255;
  }
}

export interface DraemBatch {
  augmented: Float32Array;
  clean: Float32Array;
  mask: Float32Array;
}

/**
 * Fills a batch with samples `first … first + batch − 1` of the run: sample k is image
 * perm_c[k mod n] of the c = ⌊k / n⌋-th seeded permutation, simulated with seed (seed, k).
 */
export class BatchMaker {
  private permCycle = -1;
  private perm: number[] = [];
  readonly batch: DraemBatch;

  constructor(
    private readonly images: readonly RgbPixels[],
    private readonly size: number,
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly sim: SimulationOptions,
  ) {
    const hw = size * size;
    this.batch = {
      augmented: new Float32Array(batchSize * 3 * hw),
      clean: new Float32Array(batchSize * 3 * hw),
      mask: new Float32Array(batchSize * hw),
    };
  }

  imageFor(k: number): number {
    const n = this.images.length;
    const cycle = Math.floor(k / n);
    if (cycle !== this.permCycle) {
      this.perm = createRng(deriveSeed(this.seed ^ 0x9e37, cycle)).choose(n, n);
      this.permCycle = cycle;
    }
    return this.perm[k % n];
  }

  fill(first: number): DraemBatch {
    const hw = this.size * this.size;
    for (let j = 0; j < this.batchSize; j++) {
      const k = first + j;
      const s = simulateSample(
        this.images[this.imageFor(k)],
        this.images,
        deriveSeed(this.seed, k),
        this.sim,
      );
      toPlanar(s.image.data, this.batch.augmented, j);
      toPlanar(s.base, this.batch.clean, j);
      const m = this.batch.mask;
      for (let p = 0; p < hw; p++) m[j * hw + p] = s.mask[p];
    }
    return this.batch;
  }
}
