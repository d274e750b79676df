// Import of a model package from disk: one of ours (model.onnx + model.json) or an anomalib ONNX
// export (model.onnx with outputs pred_score and anomaly_map, optional metadata.json). The files
// are copied into a staging folder and loaded by the same runner the live loop uses, so whatever
// passes here also loads on the line; only then do they move under models/ and get a row.
import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize } from 'node:path';
import { DomainError } from '../util/errors';
import type { ModelVersionDto } from '@shared/training';
import { loadModelPackage, ModelPackageError } from '../models/runner';
import { presetOf, readModelJson, type ModelStore } from './store';

/** Anything bigger is not a model this station could run at line speed. */
const MAX_ONNX_BYTES = 2 * 1024 ** 3;
/** Largest model input side: 4096² RGB float32 is already 200 MB per frame. */
const MAX_INPUT_SIDE = 4096;

/** A model input size described in words, or null when the station can run it. */
export function inputSizeProblem(width: number, height: number): string | null {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_INPUT_SIDE;
  if (ok(width) && ok(height)) return null;
  const gb = (3 * 4 * width * height) / 1024 ** 3;
  return (
    `the model's input size is ${width}×${height} pixels; each side must be between 1 and ` +
    `${MAX_INPUT_SIDE} pixels` +
    (Number.isFinite(gb) && gb >= 1
      ? ` (one frame at that size would need ${gb.toFixed(0)} GB as float32)`
      : '')
  );
}

export interface ImportRequest {
  path: string;
  actor: string;
  reason: string;
  name?: string;
}

/** Where the package files are: a folder with model.onnx, or a .onnx file (metadata beside it). */
async function locate(
  path: string,
): Promise<{ onnx: string; json: string | null; metadata: string | null; label: string }> {
  const p = path.trim();
  if (!isAbsolute(p)) throw new DomainError('invalid', `The package path must be absolute (got "${p}").`);
  const full = normalize(p);
  let st;
  try {
    st = await fsp.stat(full);
  } catch {
    throw new DomainError('invalid', `${full} does not exist.`);
  }
  const exists = async (f: string): Promise<boolean> => {
    try {
      await fsp.access(f, fsc.R_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (st.isDirectory()) {
    const onnx = join(full, 'model.onnx');
    if (!(await exists(onnx))) {
      const entries = (await fsp.readdir(full)).filter((f) => extname(f).toLowerCase() === '.onnx');
      throw new DomainError(
        'invalid',
        entries.length
          ? `${full} has no model.onnx (found ${entries.join(', ')}); select the .onnx file itself.`
          : `${full} has no model.onnx: not a model package.`,
      );
    }
    return {
      onnx,
      json: (await exists(join(full, 'model.json'))) ? join(full, 'model.json') : null,
      metadata: (await exists(join(full, 'metadata.json'))) ? join(full, 'metadata.json') : null,
      label: basename(full),
    };
  }
  if (extname(full).toLowerCase() !== '.onnx') {
    throw new DomainError('invalid', `${full} is neither a folder nor an .onnx file.`);
  }
  const dir = dirname(full);
  return {
    onnx: full,
    // A model.json beside a differently named .onnx describes model.onnx, not this file.
    json:
      basename(full) === 'model.onnx' && (await exists(join(dir, 'model.json')))
        ? join(dir, 'model.json')
        : null,
    metadata: (await exists(join(dir, 'metadata.json'))) ? join(dir, 'metadata.json') : null,
    // anomalib names every export model.onnx; the folder says which model it is.
    label: basename(full) === 'model.onnx' ? basename(dir) : basename(full, extname(full)),
  };
}

export async function importModelPackage(
  store: ModelStore,
  stagingRoot: string,
  req: ImportRequest,
): Promise<ModelVersionDto> {
  const src = await locate(req.path);
  const size = (await fsp.stat(src.onnx)).size;
  if (size > MAX_ONNX_BYTES)
    throw new DomainError('invalid', `${src.onnx} is ${size} bytes; the limit is 2 GiB.`);
  const staging = join(stagingRoot, `import-${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(staging, { recursive: true });
  try {
    await fsp.copyFile(src.onnx, join(staging, 'model.onnx'));
    if (src.json) await fsp.copyFile(src.json, join(staging, 'model.json'));
    else if (src.metadata) await fsp.copyFile(src.metadata, join(staging, 'metadata.json'));

    let info;
    try {
      const runner = await loadModelPackage(staging, { providerOrder: ['cpu'], intraOpNumThreads: 1 });
      try {
        info = runner.info;
        const tooBig = inputSizeProblem(info.width, info.height);
        if (tooBig) throw new Error(tooBig);
        // One inference proves the outputs have the shapes the metadata promises.
        await runner.runTensor(new Float32Array(3 * info.width * info.height), 1);
      } finally {
        await runner.release();
      }
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).split(staging).join(src.label);
      const code = err instanceof ModelPackageError ? ` (${err.code.replace(/_/g, ' ')})` : '';
      throw new DomainError('invalid', `Cannot import ${req.path}${code}: ${why}`);
    }

    const json = readModelJson(staging);
    const version = store.nextVersion();
    const slug =
      (req.name ?? src.label)
        .replace(/[^A-Za-z0-9_.-]+/g, '-')
        .replace(/^[-.]+/, '')
        .slice(0, 40) || 'model';
    const id = `import-v${version}-${slug}`;
    const finalDir = join(store.modelsDir, id);
    await fsp.mkdir(store.modelsDir, { recursive: true });
    await fsp.rename(staging, finalDir);
    try {
      return store.register(
        {
          id,
          method: info.method,
          backbone: json?.backbone.id ?? null,
          path: finalDir,
          fingerprint: json?.training.fingerprint ?? null,
          meta: {
            kind: info.kind,
            name: req.name ?? json?.name ?? null,
            preset: json ? presetOf(json) : null,
            origin: 'imported',
            thresholds: { ...info.thresholds },
            inputSize: { width: info.width, height: info.height },
            training: {
              goodDir: null,
              defectDir: null,
              imageCount: json?.training.imageCount ?? null,
              calibrationCount: json?.training.calibrationCount ?? null,
            },
            metrics: json ? { ...(json.metrics as Record<string, unknown>) } : {},
            parentId: null,
            notes: null,
            importedFrom: req.path,
            deployedAt: null,
          },
        },
        { actor: req.actor, action: 'models.import', reason: req.reason },
      );
    } catch (err) {
      await fsp.rm(finalDir, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await fsp.rm(staging, { recursive: true, force: true });
  }
}
