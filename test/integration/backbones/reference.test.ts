// The bundled backbones, as converted to ONNX and cached by ensureBackbone, against the original
// Keras models run by TF.js (CPU backend) on the same images: every tap must agree within
// max|onnx − keras| / max|keras| ≤ 1e-3. A negative control proves the check catches a wrong
// mapping (average pooling that counts padded pixels).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBackbone, loadNsfwjsModel, type BackboneDescriptor } from '../../../src/main/backbones';
import { GraphBuilder, parseModel, serializeModel } from '../../../src/main/onnx';
import { tfjsReference } from './tfjsReference';

const DATA = join(__dirname, '../../../../shared/data/magnetic_tile/train/good');
const tmp = mkdtempSync(join(os.tmpdir(), 'bb-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** RGB bytes [h,w,3] of a synthetic scene: gradients, a disc, a bar and text-like stripes. */
async function syntheticImage(size: number): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#203040"/><stop offset="1" stop-color="#e0c080"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${size * 0.35}" cy="${size * 0.4}" r="${size * 0.18}" fill="#c02020"/>
    <rect x="${size * 0.55}" y="${size * 0.1}" width="${size * 0.1}" height="${size * 0.8}" fill="#20a040" transform="rotate(12 ${size / 2} ${size / 2})"/>
    ${Array.from({ length: 8 }, (_, i) => `<rect x="${size * 0.1}" y="${size * (0.7 + i * 0.03)}" width="${size * 0.4}" height="${size * 0.012}" fill="#101010"/>`).join('')}
  </svg>`;
  return rgb(sharp(Buffer.from(svg)), size);
}

async function rgb(img: ReturnType<typeof sharp>, size: number): Promise<Uint8Array> {
  const { data, info } = await img
    .resize(size, size, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return new Uint8Array(data);
  const out = new Uint8Array(size * size * 3); // grayscale source: replicate into R, G, B
  for (let i = 0; i < size * size; i++) out.fill(data[i * info.channels], i * 3, i * 3 + 3);
  return out;
}

/** Normalise per the descriptor and lay out both as NHWC (Keras) and NCHW (ONNX). */
function tensors(images: Uint8Array[], d: BackboneDescriptor) {
  const [h, w] = d.inputSize;
  const n = images.length;
  const nhwc = new Float32Array(n * h * w * 3);
  const nchw = new Float32Array(n * h * w * 3);
  images.forEach((img, b) => {
    for (let p = 0; p < h * w; p++)
      for (let c = 0; c < 3; c++) {
        const v = (img[p * 3 + c] / 255 - d.mean[c]) / d.std[c];
        nhwc[(b * h * w + p) * 3 + c] = v;
        nchw[(b * 3 + c) * h * w + p] = v;
      }
  });
  return { nhwc, nchw, dims: [n, 3, h, w] };
}

function relErr(nhwc: Float32Array, shape: number[], nchw: Float32Array): number {
  const [n, h, w, c] = shape;
  let d = 0;
  let m = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const ref = nhwc[((b * h + y) * w + x) * c + k];
          d = Math.max(d, Math.abs(ref - nchw[((b * c + k) * h + y) * w + x]));
          m = Math.max(m, Math.abs(ref));
        }
  return d / m;
}

async function images(size: number, count: number): Promise<Uint8Array[]> {
  const list = [await syntheticImage(size)];
  if (existsSync(DATA)) {
    const f = readdirSync(DATA)
      .filter((x) => x.endsWith('.png'))
      .sort()[0];
    if (f) list.unshift(await rgb(sharp(join(DATA, f)), size));
  } else {
    console.warn(`[backbones] ${DATA} not found: comparing on synthetic images only`);
  }
  return list.slice(0, count);
}

describe('converted backbones agree with the Keras originals', () => {
  // MobileNetV2 is cheap in TF.js: compare all the known taps on two images.
  it('mobilenet_v2 (224 px): all known taps, plus a negative control', async () => {
    const taps = [
      'block_5_add',
      'block_5_expand_relu',
      'block_6_expand_relu',
      'block_10_project_BN',
      'block_10_expand_relu',
    ];
    const { path, descriptor } = await ensureBackbone('mobilenet_v2', tmp, { taps });
    expect(descriptor.taps.map((t) => [t.stride, t.channels])).toEqual([
      [8, 32],
      [8, 192],
      [8, 192],
      [16, 96],
      [16, 384],
    ]);
    const imgs = await images(224, 2);
    const x = tensors(imgs, descriptor);
    const ref = await tfjsReference(loadNsfwjsModel('mobilenet_v2'), taps, descriptor.inputSize);
    const expected = await ref.run(x.nhwc, imgs.length);
    ref.dispose();
    const bytes = new Uint8Array(readFileSync(path));
    const sess = await ort.InferenceSession.create(bytes);
    const got = await sess.run({ input: new ort.Tensor('float32', x.nchw, x.dims) });
    for (const e of expected) {
      expect(got[e.name].dims).toEqual([e.shape[0], e.shape[3], e.shape[1], e.shape[2]]);
      const err = relErr(e.data, e.shape, got[e.name].data as Float32Array);
      expect(err, e.name).toBeLessThanOrEqual(1e-3);
    }
    await sess.release();

    // Negative control: ZeroPadding2D moved to the wrong side must be caught.
    const g = GraphBuilder.fromModel(parseModel(bytes));
    const padName = g.nodes.find((n) => n.name === 'block_3_pad')!.inputs[1];
    const pads = g.constValue(padName)!.data as BigInt64Array;
    pads.set([0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n]);
    const bad = await ort.InferenceSession.create(serializeModel(g.toModelProto()));
    const badOut = await bad.run({ input: new ort.Tensor('float32', x.nchw, x.dims) });
    const e = expected.find((t) => t.name === 'block_5_add')!;
    expect(relErr(e.data, e.shape, badOut[e.name].data as Float32Array)).toBeGreaterThan(1e-3);
  });

  // InceptionV3 at 299 px costs ~9 s per image in TF.js-cpu: one image, the two default taps.
  it('inception_v3 (299 px): mixed2 and mixed5, plus a negative control', async () => {
    const { path, descriptor } = await ensureBackbone('inception_v3', tmp);
    expect(descriptor.taps).toEqual([
      { name: 'mixed2', channels: 288, size: [35, 35], stride: 8 },
      { name: 'mixed5', channels: 768, size: [17, 17], stride: 16 },
    ]);
    const imgs = await images(299, 1);
    const x = tensors(imgs, descriptor);
    const taps = descriptor.taps.map((t) => t.name);
    const ref = await tfjsReference(loadNsfwjsModel('inception_v3'), taps, descriptor.inputSize);
    const expected = await ref.run(x.nhwc, 1);
    ref.dispose();
    const bytes = new Uint8Array(readFileSync(path));
    const sess = await ort.InferenceSession.create(bytes);
    const got = await sess.run({ input: new ort.Tensor('float32', x.nchw, x.dims) });
    for (const e of expected) {
      expect(relErr(e.data, e.shape, got[e.name].data as Float32Array), e.name).toBeLessThanOrEqual(1e-3);
    }
    await sess.release();

    // Negative control: Keras 'same' average pooling excludes padding; counting it must be caught.
    const g = GraphBuilder.fromModel(parseModel(bytes));
    for (const n of g.nodes)
      if (n.opType === 'AveragePool') n.attrs.count_include_pad = { type: 'int', value: 1 };
    const bad = await ort.InferenceSession.create(serializeModel(g.toModelProto()));
    const badOut = await bad.run({ input: new ort.Tensor('float32', x.nchw, x.dims) });
    const e = expected[0];
    expect(relErr(e.data, e.shape, badOut[e.name].data as Float32Array)).toBeGreaterThan(1e-3);
  });
});
