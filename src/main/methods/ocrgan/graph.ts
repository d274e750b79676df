// OCR-GAN graphs: frequency decoupling, the two-branch U-Net generator with a learned
// channel-selection block at every level, the DCGAN discriminator, the two alternating training
// steps (discriminator, generator) and the exported scorer (input → pred_score, no map).
import { GraphBuilder } from '../../onnx/builder';
import type { ModelProto } from '../../onnx/schema';
import { stopGradient } from '../../engine/autodiff';
import { batchNorm, conv2d, convTranspose2d } from '../../engine/layers';
import { bceWithLogitsLoss, l1Loss, mseLoss } from '../../engine/losses';
import { ModelBuilder } from '../../engine/model';
import { buildTrainingStep, type TrainingStepGraph } from '../../engine/train-step';
import type { OcrganConfig } from './types';

export const INPUT = 'input';
/** Training batch inputs: images in [−1, 1] and their CutPaste copies (negatives for D). */
export const REAL = 'real_image';
export const CUTPASTE = 'cutpaste_image';
export const SCORE = 'pred_score';

const G_PREFIX = 'G.';
const D_PREFIX = 'D.';

export function levelChannels(c: OcrganConfig): number[] {
  return Array.from({ length: c.levels }, (_, i) => Math.min(c.baseChannels * 2 ** i, c.maxChannels));
}

/** Binomial 5×5 Gaussian of the image pyramid ([1 4 6 4 1]/16 outer product), one per channel. */
function pyramidKernel(scale: number): Float32Array {
  const k = [1, 4, 6, 4, 1];
  const out = new Float32Array(3 * 25);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++) out[c * 25 + i * 5 + j] = (k[i] * k[j] * scale) / 256;
  return out;
}

/**
 * x [N, 3, S, S] in [−1, 1] → low = up(down(x)) (pyrDown: reflect-padded Gaussian blur, stride 2;
 * pyrUp: zero insertion + 4× the blur, as a transposed conv), high = x − low, each to [−1, 1] by a
 * fixed scale (low is a convex blur of x, so already there; high ∈ [−2, 2] is halved). A per-image
 * min–max would let a high-contrast defect stretch the range and shrink its own residual.
 */
export function decouple(g: GraphBuilder, x: string): { low: string; high: string } {
  const down = g.conv(
    g.op('Pad', [x, g.int64s([0, 0, 2, 2, 0, 0, 2, 2])], { mode: 'reflect' }),
    g.initializer(g.uniqueName('pyr_down'), pyramidKernel(1), [3, 1, 5, 5]),
    undefined,
    { strides: [2, 2], group: 3 },
  );
  const low = g.op(
    'ConvTranspose',
    [down, g.initializer(g.uniqueName('pyr_up'), pyramidKernel(4), [3, 1, 5, 5])],
    {
      kernel_shape: [5, 5],
      strides: [2, 2],
      pads: [2, 2, 2, 2],
      output_padding: [1, 1],
      group: 3,
    },
  );
  return { low, high: g.mul(g.sub(x, low), g.constant(0.5)) };
}

const lrelu = (g: GraphBuilder, x: string) => g.op('LeakyRelu', [x], { alpha: 0.2 });

/**
 * Learned channel selection between the two branches: s = GAP(a + b), z = ReLU(W s) (bottleneck),
 * per-branch heads, softmax across the two branches (= sigmoid of the head difference), each
 * branch scaled by its weights. Linear layers are 1×1 convs on the pooled [N, C, 1, 1].
 */
function channelSelect(
  mb: ModelBuilder,
  a: string,
  b: string,
  name: string,
  c: number,
  r: number,
): [string, string] {
  const g = mb.g;
  const s = g.reduce('ReduceMean', g.add(a, b), [2, 3], true);
  const hidden = Math.max(4, Math.floor(c / r));
  const z = g.relu(conv2d(mb, s, { name: `${name}.fc`, inChannels: c, outChannels: hidden, kernel: 1 }));
  const ha = conv2d(mb, z, { name: `${name}.fc_low`, inChannels: hidden, outChannels: c, kernel: 1 });
  const hb = conv2d(mb, z, { name: `${name}.fc_high`, inChannels: hidden, outChannels: c, kernel: 1 });
  const wa = g.op('Sigmoid', [g.sub(ha, hb)]);
  const wb = g.sub(g.constant(1), wa);
  return [g.mul(a, wa), g.mul(b, wb)];
}

/** The generator: low and high parts → fake image (sum of the two branches' Tanh outputs). */
export function generator(mb: ModelBuilder, low: string, high: string, c: OcrganConfig): string {
  const g = mb.g;
  const ch = levelChannels(c);
  const L = ch.length;
  const branches = ['low', 'high'];
  let cur = [low, high];
  const skips: string[][] = [];
  for (let i = 0; i < L; i++) {
    cur = cur.map((x, k) => {
      const name = `${G_PREFIX}${branches[k]}.down${i}`;
      const inC = i === 0 ? 3 : ch[i - 1];
      const y = conv2d(mb, i === 0 ? x : lrelu(g, x), {
        name,
        inChannels: inC,
        outChannels: ch[i],
        kernel: 4,
        stride: 2,
        pad: 1,
      });
      // pix2pix: no norm on the outermost and the innermost level.
      return i === 0 || i === L - 1 ? y : batchNorm(mb, y, { name: `${name}.bn`, channels: ch[i] });
    });
    cur = channelSelect(mb, cur[0], cur[1], `${G_PREFIX}cs.down${i}`, ch[i], c.csReduction);
    skips.push(cur);
  }
  for (let i = L - 1; i >= 1; i--) {
    const inC = i === L - 1 ? ch[i] : 2 * ch[i];
    cur = cur.map((x, k) => {
      const name = `${G_PREFIX}${branches[k]}.up${i}`;
      const y = convTranspose2d(mb, g.relu(x), {
        name,
        inChannels: inC,
        outChannels: ch[i - 1],
        kernel: 4,
        stride: 2,
        pad: 1,
      });
      return batchNorm(mb, y, { name: `${name}.bn`, channels: ch[i - 1] });
    });
    cur = channelSelect(mb, cur[0], cur[1], `${G_PREFIX}cs.up${i}`, ch[i - 1], c.csReduction);
    cur = cur.map((x, k) => g.concat([x, skips[i - 1][k]], 1));
  }
  const inTop = L === 1 ? ch[0] : 2 * ch[0];
  const outs = cur.map((x, k) =>
    g.op('Tanh', [
      convTranspose2d(mb, g.relu(x), {
        name: `${G_PREFIX}${branches[k]}.top`,
        inChannels: inTop,
        outChannels: 3,
        kernel: 4,
        stride: 2,
        pad: 1,
      }),
    ]),
  );
  return g.add(outs[0], outs[1]);
}

/** DCGAN discriminator: features [N, F, 1, 1] and logits [N, 1, 1, 1] (sigmoid head as BCE-with-logits). */
export function discriminator(
  mb: ModelBuilder,
  x: string,
  c: OcrganConfig,
): { features: string; logits: string } {
  const g = mb.g;
  let h = x;
  let inC = 3;
  let size = c.inputSize;
  for (let i = 0; size > 4; i++) {
    const outC = Math.min(c.baseChannels * 2 ** i, c.maxChannels);
    const name = `${D_PREFIX}down${i}`;
    h = conv2d(mb, h, {
      name,
      inChannels: inC,
      outChannels: outC,
      kernel: 4,
      stride: 2,
      pad: 1,
      bias: false,
    });
    if (i > 0) h = batchNorm(mb, h, { name: `${name}.bn`, channels: outC });
    h = lrelu(g, h);
    inC = outC;
    size /= 2;
  }
  const features = conv2d(mb, h, {
    name: `${D_PREFIX}features`,
    inChannels: inC,
    outChannels: c.featureDim,
    kernel: 4,
    bias: false,
  });
  const logits = conv2d(mb, lrelu(g, features), {
    name: `${D_PREFIX}head`,
    inChannels: c.featureDim,
    outChannels: 1,
    kernel: 1,
  });
  return { features, logits };
}

function realAndParts(g: GraphBuilder, x: string): { low: string; high: string; real: string } {
  const { low, high } = decouple(g, x);
  return { low, high, real: g.add(low, high) };
}

/** The parameters of G and D, from one forward pass built for nothing else. */
function forwardParams(c: OcrganConfig): { name: string; shape: number[] }[] {
  const g = new GraphBuilder('ocrgan_params');
  const mb = new ModelBuilder(g, { training: true });
  const { low, high } = decouple(g, g.input(REAL, 'float32', [1, 3, c.inputSize, c.inputSize]));
  discriminator(mb, generator(mb, low, high, c), c);
  return mb.params;
}

/** Parameter names of the generator and the discriminator (for freezing one per step). */
export function playerParams(c: OcrganConfig): { G: string[]; D: string[] } {
  const names = forwardParams(c).map((p) => p.name);
  return { G: names.filter((n) => n.startsWith(G_PREFIX)), D: names.filter((n) => n.startsWith(D_PREFIX)) };
}

/** Trainable parameters of G and D together. */
export function countParams(c: OcrganConfig): number {
  return forwardParams(c).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

const adam = (c: OcrganConfig) => ({ kind: 'adam' as const, beta1: c.beta1, beta2: c.beta2 });

/** D step: BCE(real, 1) + BCE(fake, 0) + BCE(CutPaste(real), 0); G frozen, fake behind stopGradient. */
export function buildDiscriminatorStep(c: OcrganConfig, batch: number): TrainingStepGraph {
  const S = c.inputSize;
  const { G } = playerParams(c);
  return buildTrainingStep({
    name: 'ocrgan_d_step',
    optimizer: adam(c),
    frozen: G,
    define: (mb) => {
      const g = mb.g;
      const { low, high, real } = realAndParts(g, g.input(REAL, 'float32', [batch, 3, S, S]));
      const cp = realAndParts(g, g.input(CUTPASTE, 'float32', [batch, 3, S, S])).real;
      const fake = stopGradient(g, generator(mb, low, high, c));
      const ones = g.constant(new Array<number>(batch).fill(1), { name: 'd_ones' });
      const zeros = g.constant(new Array<number>(batch).fill(0), { name: 'd_zeros' });
      const logit = (x: string) => g.reshape(discriminator(mb, x, c).logits, [batch]);
      const loss = g.add(
        g.add(bceWithLogitsLoss(g, logit(real), ones), bceWithLogitsLoss(g, logit(fake), zeros)),
        bceWithLogitsLoss(g, logit(cp), zeros),
      );
      return { loss };
    },
  });
}

/** G step: wAdv·BCE(D(fake), 1) + wRec·L1(fake, real) + wFeat·MSE(D-features(fake), D-features(real)). */
export function buildGeneratorStep(c: OcrganConfig, batch: number): TrainingStepGraph {
  const S = c.inputSize;
  const { D } = playerParams(c);
  return buildTrainingStep({
    name: 'ocrgan_g_step',
    optimizer: adam(c),
    frozen: D,
    define: (mb) => {
      const g = mb.g;
      const { low, high, real } = realAndParts(g, g.input(REAL, 'float32', [batch, 3, S, S]));
      const fake = generator(mb, low, high, c);
      const dFake = discriminator(mb, fake, c);
      const dReal = discriminator(mb, real, c);
      const ones = g.constant(new Array<number>(batch).fill(1), { name: 'g_ones' });
      const adv = bceWithLogitsLoss(g, g.reshape(dFake.logits, [batch]), ones);
      const rec = l1Loss(g, fake, real);
      const feat = mseLoss(g, dFake.features, stopGradient(g, dReal.features));
      const loss = g.add(
        g.add(g.mul(adv, g.constant(c.wAdv)), g.mul(rec, g.constant(c.wRec))),
        g.mul(feat, g.constant(c.wFeat)),
      );
      // Spread of the fakes: near 0 means the generator collapsed to one image.
      const mean = g.reduce('ReduceMean', fake, [0], true);
      const d = g.sub(fake, mean);
      const fakeStd = g.sqrt(g.reduce('ReduceMean', g.mul(d, d), [0, 1, 2, 3], false));
      return { loss, metrics: { l1: rec, adv, fakeStd } };
    },
  });
}

/**
 * The exported scorer: input [N, 3, S, S] (normalised to [−1, 1] by model.json mean/std 0.5) →
 * pred_score [N] = w·mean((real − fake)²) + (1 − w)·mean((D(real) − D(fake))²) per image. No map.
 */
export function buildOcrganScorer(c: OcrganConfig, weights: ReadonlyMap<string, Float32Array>): ModelProto {
  const S = c.inputSize;
  const g = new GraphBuilder('ocrgan', { opset: 17 });
  const mb = new ModelBuilder(g, { training: false, values: weights });
  const { low, high, real } = realAndParts(g, g.input(INPUT, 'float32', ['N', 3, S, S]));
  const fake = generator(mb, low, high, c);
  const fr = discriminator(mb, real, c).features;
  const ff = discriminator(mb, fake, c).features;
  const sq = (a: string, b: string) => {
    const d = g.sub(a, b);
    return g.reduce('ReduceMean', g.mul(d, d), [1, 2, 3], false);
  };
  const w = c.scoreRecWeight;
  const score = g.add(g.mul(sq(real, fake), g.constant(w)), g.mul(sq(fr, ff), g.constant(1 - w)));
  g.node('Identity', [score], {}, { outputs: [SCORE] });
  g.output(SCORE);
  g.pruneTo([SCORE]);
  return g.toModelProto();
}
