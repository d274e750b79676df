// DRAEM-style synthetic anomalies: for DRAEM training and for synthetic evaluation sets.
export * from '../util/rng';
export * from './pixels';
export * from './perlin';
export * from './augment';
export * from './synthesize';
export * from './test-set';
export * from './textures';
