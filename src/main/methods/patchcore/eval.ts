// Evaluation lives in src/main/eval (dataset readers, imageAuroc, PixelMetricsAccumulator,
// loadMask). This re-export only keeps older importers (DFR's bench) compiling until they
// import from there directly.
export { loadMask } from '../../eval/image-io';
