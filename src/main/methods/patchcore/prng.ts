// coreset.ts's import path for the station's one seeded PRNG (src/main/util/rng.ts); nothing else
// should import this file.
export { createRng, gaussianMatrix, sampleWithoutReplacement, type Rng } from '../../util/rng';
