import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/onnx/builder';
import { serializeModel } from '../../../src/main/onnx/serialize';
import { exportPatchCore } from '../../../src/main/methods/patchcore/export';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import { ImageDecodeError } from '../../../src/main/models/preprocess';
import { loadModelPackage, ModelPackageError } from '../../../src/main/models/runner';
import { verdictOf } from '../../../src/main/models/schema';
import { tempDir, tinyBackbone, writeImages } from '../patchcore/helpers';

let dir: string;
let pkg: string;
let images: string[];

beforeAll(async () => {
  dir = tempDir('model-runner');
  images = await writeImages(dir, 12, 9);
  const model = await fitPatchCore({ images, backbone: tinyBackbone(), config: { coresetRatio: 0.3 } });
  pkg = join(dir, 'pkg');
  await exportPatchCore(model, pkg);
});

/** A copy of the good package with one file replaced (or removed). */
function variant(
  name: string,
  file: 'model.json' | 'model.onnx',
  content: string | Uint8Array | null,
): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const f of ['model.json', 'model.onnx'])
    if (f !== file || content !== null) copyFileSync(join(pkg, f), join(d, f));
  if (content !== null) writeFileSync(join(d, file), content);
  return d;
}

async function loadError(d: string): Promise<ModelPackageError> {
  try {
    await loadModelPackage(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelPackageError);
    return e as ModelPackageError;
  }
  throw new Error('expected the load to fail');
}

/** An anomalib-shaped model: input `image`, outputs pred_score [N] and anomaly_map [N,1,H,W]. */
function anomalibLike(outputs: { map: boolean; size: number }): Uint8Array {
  const g = new GraphBuilder('anomalib');
  const x = g.input('image', 'float32', ['N', 3, outputs.size, outputs.size]);
  const map = g.reduce('ReduceMean', x, [1], true);
  if (outputs.map) g.output(g.identity(map, 'anomaly_map'));
  g.output(g.reduce('ReduceMax', g.reshape(map, [0, -1]), [1], false, 'pred_score'));
  return serializeModel(g.toModelProto());
}

describe('model package runner', () => {
  it('loads a package, reports its I/O and scores single images and batches identically', async () => {
    const r = await loadModelPackage(pkg);
    expect(r.info).toMatchObject({
      kind: 'native',
      method: 'patchcore',
      inputName: 'input',
      width: 32,
      height: 32,
    });
    const batch = await r.scoreBatch(images.slice(0, 3));
    const single = await r.score(images[1]);
    expect(single.rawScore).toBeCloseTo(batch[1].rawScore, 5);
    expect(single.map?.length).toBe(32 * 32);
    expect(batch[0]).toMatchObject({ width: 32, height: 32 });
    expect(['PASS', 'REVIEW', 'FAIL']).toContain(verdictOf(single.normScore, r.info.thresholds));
    await r.release();
  });

  it('missing folder or model file → missing_file', async () => {
    expect((await loadError(join(dir, 'nowhere'))).code).toBe('missing_file');
    const e = await loadError(variant('no-onnx', 'model.onnx', null));
    expect(e.code).toBe('missing_file');
    expect(e.message).toMatch(/no model\.onnx/);
  });

  it('corrupt or empty model.onnx → invalid_onnx', async () => {
    const e = await loadError(
      variant('corrupt-onnx', 'model.onnx', new TextEncoder().encode('this is not protobuf at all')),
    );
    expect(e.code).toBe('invalid_onnx');
    expect(e.message).toMatch(/could not be loaded/);
    expect((await loadError(variant('empty-onnx', 'model.onnx', new Uint8Array()))).code).toBe(
      'invalid_onnx',
    );
  });

  it('invalid model.json → invalid_metadata naming the field', async () => {
    const j = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8'));
    delete j.normalisation;
    j.input.std = [0, 1, 1];
    const e = await loadError(variant('bad-json', 'model.json', JSON.stringify(j)));
    expect(e.code).toBe('invalid_metadata');
    expect(e.message).toMatch(/normalisation/);
    expect(e.message).toMatch(/input\.std/);
    expect((await loadError(variant('not-json', 'model.json', '{oops'))).code).toBe('invalid_metadata');
  });

  it('model.json input size disagreeing with the graph → incompatible_io', async () => {
    const j = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8'));
    j.input.width = 64;
    j.input.height = 64;
    const e = await loadError(variant('wrong-size', 'model.json', JSON.stringify(j)));
    expect(e.code).toBe('incompatible_io');
    expect(e.message).toMatch(/64×64/);
  });

  it('wrong input tensor size and corrupt images give clear errors', async () => {
    const r = await loadModelPackage(pkg);
    await expect(r.runTensor(new Float32Array(3 * 31 * 31), 1)).rejects.toThrow(/1×3×32×32 needs 3072/);
    const bad = join(dir, 'corrupt.png');
    writeFileSync(bad, Buffer.concat([readFileSync(images[0]).subarray(0, 40), Buffer.from('garbage')]));
    await expect(r.score(bad)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(r.score(bad)).rejects.toThrow(/Cannot decode .*corrupt\.png/);
    await r.release();
  });

  it('accepts anomalib-shaped exports (other input name) and rejects ones without anomaly_map', async () => {
    const d = join(dir, 'anomalib');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'model.onnx'), anomalibLike({ map: true, size: 32 }));
    writeFileSync(
      join(d, 'metadata.json'),
      JSON.stringify({ image_threshold: 0.5, pred_scores: { min: 0, max: 1 } }),
    );
    const r = await loadModelPackage(d);
    expect(r.info).toMatchObject({ kind: 'anomalib', inputName: 'image', width: 32, height: 32 });
    const [out] = await r.scoreBatch([images[0]]);
    expect(out.rawScore).toBeCloseTo(Math.max(...out.map!), 5);
    await r.release();

    const d2 = join(dir, 'anomalib-nomap');
    mkdirSync(d2, { recursive: true });
    writeFileSync(join(d2, 'model.onnx'), anomalibLike({ map: false, size: 32 }));
    const e = await loadError(d2);
    expect(e.code).toBe('incompatible_io');
    expect(e.message).toMatch(/no output 'anomaly_map'/);
  });
});
