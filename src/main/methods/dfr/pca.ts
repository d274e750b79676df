// Latent size for DFR's autoencoder: the number of principal components that explain a given
// fraction of the feature variance (the spectrum itself: methods/common/principal-axes).

/** Smallest k whose top-k eigenvalues reach `fraction` of the total variance. */
export function componentsFor(eigenvalues: Float64Array, fraction: number): { k: number; explained: number } {
  let total = 0;
  for (const v of eigenvalues) total += Math.max(0, v);
  if (total <= 0) return { k: 1, explained: 1 };
  let acc = 0;
  for (let k = 0; k < eigenvalues.length; k++) {
    acc += Math.max(0, eigenvalues[k]);
    if (acc >= fraction * total) return { k: k + 1, explained: acc / total };
  }
  return { k: eigenvalues.length, explained: 1 };
}
