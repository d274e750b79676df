// Reads the Keras models that the nsfwjs npm package ships as JS-wrapped files: `model.min.js`
// (UMD module exporting {modelTopology, weightsManifest}) and `group1-shard*.min.js` (UMD modules
// exporting the shard bytes as a base64 string). They are evaluated in an empty VM context so no
// package code runs with access to Node.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import type { KerasModelConfig, WeightsManifestGroup } from './keras';
import { ConversionError, decodeWeights } from './keras';

export type NsfwjsVariant = 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3';

export interface NsfwjsModel {
  variant: NsfwjsVariant;
  dir: string;
  /** Full Keras JSON (keras_version, backend, model_config). */
  topology: { model_config: { class_name: string; config: KerasModelConfig }; [k: string]: unknown };
  manifest: WeightsManifestGroup[];
  /** Raw (still quantised) weight bytes, shards concatenated in manifest order. */
  weightData: Uint8Array;
  /** nsfwjs package version, part of the cache key. */
  packageVersion: string;
}

function resolvePackageDir(pkg: string): string {
  // Works under CommonJS bundles, vitest and tsx; falls back to the working directory.
  const base = typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js');
  try {
    return dirname(createRequire(base).resolve(`${pkg}/package.json`));
  } catch {
    const local = join(process.cwd(), 'node_modules', pkg);
    if (existsSync(join(local, 'package.json'))) return local;
    throw new ConversionError(`package '${pkg}' is not installed (needed for the bundled backbones)`);
  }
}

function evalUmd(file: string): unknown {
  const src = readFileSync(file, 'utf8');
  const module = { exports: {} as unknown };
  vm.runInNewContext(src, { module, exports: module.exports }, { filename: file });
  // Objects made in another VM context fail `instanceof Array` checks in our realm (TF.js relies
  // on them), so bring them over as plain JSON.
  const out = module.exports;
  return typeof out === 'string' ? out : JSON.parse(JSON.stringify(out));
}

export function nsfwjsModelDir(variant: NsfwjsVariant): string {
  return join(resolvePackageDir('nsfwjs'), 'dist', 'models', variant);
}

export function loadNsfwjsModel(variant: NsfwjsVariant): NsfwjsModel {
  const pkgDir = resolvePackageDir('nsfwjs');
  const dir = join(pkgDir, 'dist', 'models', variant);
  const modelFile = join(dir, 'model.min.js');
  if (!existsSync(modelFile)) throw new ConversionError(`nsfwjs model files not found at ${dir}`);
  const m = evalUmd(modelFile) as {
    modelTopology?: NsfwjsModel['topology'];
    weightsManifest?: WeightsManifestGroup[];
  };
  if (!m.modelTopology?.model_config || !m.weightsManifest)
    throw new ConversionError(`${modelFile} is not a TF.js layers model`);
  const chunks = m.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const s = evalUmd(join(dir, `${p.replace(/\.bin$/, '')}.min.js`));
      if (typeof s !== 'string') throw new ConversionError(`weight shard ${p} is not a base64 string`);
      return Buffer.from(s, 'base64');
    }),
  );
  const weightData = new Uint8Array(Buffer.concat(chunks));
  const packageVersion = nsfwjsPackageVersion();
  return { variant, dir, topology: m.modelTopology, manifest: m.weightsManifest, weightData, packageVersion };
}

export function nsfwjsPackageVersion(): string {
  const pkgDir = resolvePackageDir('nsfwjs');
  return (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function nsfwjsWeights(m: NsfwjsModel) {
  return decodeWeights(m.manifest, m.weightData);
}
