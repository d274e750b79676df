import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../../src/main/onnx/serialize';
import { exportPatchCore } from '../../../src/main/methods/patchcore/export';
import { fitPatchCore } from '../../../src/main/methods/patchcore/fit';
import { PatchCoreScorer } from '../../../src/main/methods/patchcore/scorer';
import type { FittedPatchCore, PatchCoreConfig } from '../../../src/main/methods/patchcore/types';
import { preprocessBatch } from '../../../src/main/models/preprocess';
import { loadModelPackage } from '../../../src/main/models/runner';
import { refScore, tempDir, tinyBackbone, TINY_SIZE, writeImages } from './helpers';

const backbone = tinyBackbone(1);
let dir: string;
let good: string[];
let testImgs: string[];

/** Raw tap outputs of the tiny backbone alone, straight from ONNX Runtime. */
async function taps(images: string[]): Promise<{ t8: Float32Array; t16: Float32Array }> {
  const s = await ort.InferenceSession.create(backbone.model as Uint8Array);
  const x = await preprocessBatch(images, backbone.preprocess);
  const r = await s.run({ input: new ort.Tensor('float32', x, [images.length, 3, TINY_SIZE, TINY_SIZE]) });
  return { t8: r.t8.data as Float32Array, t16: r.t16.data as Float32Array };
}

async function reference(model: FittedPatchCore, images: string[]) {
  const { t8, t16 } = await taps(images);
  return images.map((_, i) =>
    refScore(
      t8.subarray(i * 6 * 16, (i + 1) * 6 * 16),
      6,
      t16.subarray(i * 5 * 4, (i + 1) * 5 * 4),
      5,
      4,
      2,
      model.reduction,
      model.bank,
      model.config.numNeighbors,
      TINY_SIZE,
      model.config.blurSigma,
    ),
  );
}

const closeTo = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(a.length).toBe(b.length);
  expect(worst).toBeLessThanOrEqual(tol);
  return worst;
};

beforeAll(async () => {
  dir = tempDir('patchcore-scoring');
  good = await writeImages(dir, 14, 1);
  testImgs = [...(await writeImages(dir, 3, 50)), ...(await writeImages(dir, 3, 60, true))];
});

const variants: Array<[string, Partial<PatchCoreConfig>]> = [
  ['reweighted k=9, full dims, several chunks', { coresetRatio: 0.5, chunkSize: 7, numNeighbors: 9 }],
  ['plain max k=1', { coresetRatio: 0.3, chunkSize: 1000, numNeighbors: 1 }],
  [
    'reduced to 4 dims by the baked projection',
    { coresetRatio: 0.5, chunkSize: 16, numNeighbors: 9, reduceDim: 4 },
  ],
];

describe.each(variants)('PatchCore scores equal a brute-force JS computation (%s)', (_name, config) => {
  let model: FittedPatchCore;
  let ref: Awaited<ReturnType<typeof reference>>;
  beforeAll(async () => {
    model = await fitPatchCore({ images: good, backbone, config: { seed: 3, ...config } });
    ref = await reference(model, testImgs);
  });

  it('fits the expected bank (ratio × patches, feature dim)', () => {
    const fitImages = 14 - 1; // one held out for calibration (10 %)
    expect(model.trainImageCount).toBe(fitImages);
    expect(model.bank.length / model.dim).toBe(Math.floor(fitImages * 16 * config.coresetRatio!));
    expect(model.dim).toBe(config.reduceDim || 11);
    expect(model.calibration.source).toBe('held-out');
  });

  it('in-memory scorer', async () => {
    const scorer = await PatchCoreScorer.create(model);
    const got = await scorer.scoreImages(testImgs);
    await scorer.release();
    closeTo(
      got.map((g) => g.score),
      ref.map((r) => r.score),
      1e-4,
    );
    for (let i = 0; i < got.length; i++) {
      closeTo(got[i].patchScores, ref[i].patch, 1e-4);
      closeTo(got[i].map!, ref[i].map!, 1e-4);
    }
    // Sanity: the defective images are the three highest.
    const order = got.map((g, i) => [g.score, i]).sort((a, b) => b[0] - a[0]);
    expect(
      order
        .slice(0, 3)
        .map((o) => o[1])
        .sort(),
    ).toEqual([3, 4, 5]);
  });

  it('exported model.onnx, loaded through the generic runner', async () => {
    const pkg = join(dir, `pkg-${_name.replace(/\W+/g, '-')}`);
    const exported = await exportPatchCore(model, pkg);
    const runner = await loadModelPackage(pkg);
    const got = await runner.scoreBatch(testImgs);
    await runner.release();
    closeTo(
      got.map((g) => g.rawScore),
      ref.map((r) => r.score),
      1e-4,
    );
    for (let i = 0; i < got.length; i++) closeTo(got[i].map!, ref[i].map!, 1e-4);
    const norm = exported.json.normalisation as { min: number; max: number };
    expect(norm.max).toBeGreaterThan(norm.min);
    for (const g of got) expect(g.normScore).toBeCloseTo((g.rawScore - norm.min) / (norm.max - norm.min), 5);
    expect(exported.json.params.bankSize).toBe(model.bank.length / model.dim);
  });
});

describe('exported package', () => {
  let model: FittedPatchCore;
  let pkg: string;
  beforeAll(async () => {
    model = await fitPatchCore({
      images: good,
      backbone,
      config: { seed: 3, coresetRatio: 0.5, numNeighbors: 9 },
    });
    pkg = join(dir, 'pkg-chunks');
  });

  it('splits a bank bigger than the chunk into several NN chunks and never builds a patch × whole-bank product', async () => {
    const bankSize = model.bank.length / model.dim; // 104
    const exported = await exportPatchCore(model, pkg, { chunkSize: 30 });
    expect(exported.chunks).toBe(Math.ceil(bankSize / 30));
    expect(exported.json.params.nnChunks).toBe(4);
    const graph = parseModel(readFileSync(join(pkg, 'model.onnx'))).graph!;
    const chunkInits = graph.initializer!.filter((t) => t.name!.includes('bank_chunk'));
    expect(chunkInits.map((t) => Number(t.dims![0]))).toEqual([30, 30, 30, 14]);
    // Every Gemm that consumes patch features multiplies by one chunk only.
    const chunkNames = new Set(chunkInits.map((t) => t.name));
    const patchGemms = graph.node!.filter((n) => n.opType === 'Gemm' && n.name!.includes('chunk_scores'));
    expect(patchGemms.length).toBe(4);
    for (const g of patchGemms) expect(chunkNames.has(g.input![1])).toBe(true);
    // The ONNX file is self-contained: no external data references.
    expect(graph.initializer!.every((t) => !t.externalData?.length)).toBe(true);
  });

  it('writes model.json with fingerprint, normalisation and thresholds', async () => {
    const exported = await exportPatchCore(model, pkg);
    const j = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8'));
    expect(j).toEqual(JSON.parse(JSON.stringify(exported.json)));
    expect(j.method).toBe('patchcore');
    expect(j.training.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // One held-out image gives min = max; the lower end then falls back to 0 (distances are ≥ 0).
    expect(model.calibration.count).toBe(1);
    expect(j.normalisation).toEqual({ method: 'minmax', min: 0, max: model.calibration.max });
    expect(j.input).toMatchObject({
      width: TINY_SIZE,
      height: TINY_SIZE,
      mean: [0.5, 0.5, 0.5],
      channelOrder: 'RGB',
    });
    // Same images in another order → same fingerprint; one different image → different.
    const reordered = await fitPatchCore({
      images: [...good].reverse(),
      calibrationImages: [],
      backbone,
      config: { coresetRatio: 0.1 },
    });
    const same = await fitPatchCore({
      images: good,
      calibrationImages: [],
      backbone,
      config: { coresetRatio: 0.1 },
    });
    const other = await fitPatchCore({
      images: [...good.slice(1), testImgs[0]],
      calibrationImages: [],
      backbone,
      config: { coresetRatio: 0.1 },
    });
    expect(reordered.fingerprint).toBe(same.fingerprint);
    expect(other.fingerprint).not.toBe(same.fingerprint);
  });

  it('gives the same scores when loaded in a fresh process', async () => {
    await exportPatchCore(model, pkg);
    const scorer = await PatchCoreScorer.create(model);
    const inMemory = (await scorer.scoreImages(testImgs)).map((r) => r.score);
    await scorer.release();
    const script = join(dir, 'score-child.mts');
    const runnerPath = resolve(__dirname, '../../../src/main/models/runner.ts');
    writeFileSync(
      script,
      `import { loadModelPackage } from ${JSON.stringify(runnerPath)};
const [pkg, ...imgs] = process.argv.slice(2);
const r = await loadModelPackage(pkg);
const out = await r.scoreBatch(imgs);
process.stdout.write(JSON.stringify({ pid: process.pid, scores: out.map((o) => o.rawScore), mapSum: out.map((o) => o.map.reduce((a, b) => a + b, 0)) }));
`,
    );
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', script, pkg, ...testImgs], {
      cwd: resolve(__dirname, '../../..'),
      encoding: 'utf8',
    });
    const child = JSON.parse(stdout) as { pid: number; scores: number[]; mapSum: number[] };
    expect(child.pid).not.toBe(process.pid);
    closeTo(child.scores, inMemory, 1e-5);
  });

  it('gathers the identical bank through the second extraction pass when features exceed the memory budget', async () => {
    const twoPass = await fitPatchCore({
      images: good,
      backbone,
      config: { seed: 3, coresetRatio: 0.5, numNeighbors: 9, featureBudgetBytes: 1024 },
    });
    expect(Buffer.from(twoPass.bank.buffer).equals(Buffer.from(model.bank.buffer))).toBe(true);
  });

  it('is deterministic: equal seeds give the identical bank', async () => {
    const again = await fitPatchCore({
      images: good,
      backbone,
      config: { seed: 3, coresetRatio: 0.5, numNeighbors: 9 },
    });
    expect(Buffer.from(again.bank.buffer).equals(Buffer.from(model.bank.buffer))).toBe(true);
  });
});
