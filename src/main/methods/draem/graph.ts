// DRAEM graphs (Zavrtanik et al., ICCV 2021; docs/methods.md "DRAEM"). One model definition,
// built twice through ModelBuilder: the training step (both sub-networks, L2 + SSIM + focal loss,
// Adam) and the exported package (reconstruction → discrimination → softmax map → mean-filtered
// max score). Layer order and names follow the authors' ReconstructiveSubNetwork and
// DiscriminativeSubNetwork so a width preset is the only difference from the paper.
import { GraphBuilder } from '../../onnx/builder';
import type { ModelProto } from '../../onnx/schema';
import { batchNorm, conv2d } from '../../engine/layers';
import { focalLoss, mseLoss, ssimLoss } from '../../engine/losses';
import { ModelBuilder } from '../../engine/model';
import { buildTrainingStep, type TrainingStepGraph } from '../../engine/train-step';

export const INPUT = 'input';

/** conv 3×3 (pad 1) + BN + ReLU. */
function cbr(mb: ModelBuilder, x: string, name: string, cin: number, cout: number): string {
  const y = conv2d(mb, x, { name, inChannels: cin, outChannels: cout, kernel: 3, pad: 1 });
  return mb.g.relu(batchNorm(mb, y, { name: `${name}.bn`, channels: cout }));
}

/** Two conv-BN-ReLU layers: the building block of both sub-networks. */
function block(mb: ModelBuilder, x: string, name: string, cin: number, cout: number, mid = cout): string {
  return cbr(mb, cbr(mb, x, `${name}.0`, cin, mid), `${name}.1`, mid, cout);
}

const maxPool = (mb: ModelBuilder, x: string) =>
  mb.g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });

/** nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True), as the authors use. */
function up2(mb: ModelBuilder, x: string): string {
  const g = mb.g;
  return g.op('Resize', [x, '', g.constant([1, 1, 2, 2], { name: g.uniqueName('up_scales') })], {
    mode: 'linear',
    coordinate_transformation_mode: 'align_corners',
  });
}

/** Encoder–decoder without skips: widths b, 2b, 4b, 8b, 8b and back; linear 3-channel output. */
export function reconstructive(mb: ModelBuilder, x: string, b: number): string {
  const e1 = block(mb, x, 'rec.enc1', 3, b);
  const e2 = block(mb, maxPool(mb, e1), 'rec.enc2', b, 2 * b);
  const e3 = block(mb, maxPool(mb, e2), 'rec.enc3', 2 * b, 4 * b);
  const e4 = block(mb, maxPool(mb, e3), 'rec.enc4', 4 * b, 8 * b);
  const e5 = block(mb, maxPool(mb, e4), 'rec.enc5', 8 * b, 8 * b);
  let h = cbr(mb, up2(mb, e5), 'rec.up1', 8 * b, 8 * b);
  h = block(mb, h, 'rec.dec1', 8 * b, 4 * b, 8 * b);
  h = cbr(mb, up2(mb, h), 'rec.up2', 4 * b, 4 * b);
  h = block(mb, h, 'rec.dec2', 4 * b, 2 * b, 4 * b);
  h = cbr(mb, up2(mb, h), 'rec.up3', 2 * b, 2 * b);
  h = block(mb, h, 'rec.dec3', 2 * b, b, 2 * b);
  h = cbr(mb, up2(mb, h), 'rec.up4', b, b);
  h = block(mb, h, 'rec.dec4', b, b);
  return conv2d(mb, h, { name: 'rec.out', inChannels: b, outChannels: 3, kernel: 3, pad: 1 });
}

/** U-Net: six encoder blocks, skip concats, 2-channel logits. Input: concat(reconstruction, image). */
export function discriminative(mb: ModelBuilder, x: string, b: number): string {
  const g = mb.g;
  const e1 = block(mb, x, 'disc.enc1', 6, b);
  const e2 = block(mb, maxPool(mb, e1), 'disc.enc2', b, 2 * b);
  const e3 = block(mb, maxPool(mb, e2), 'disc.enc3', 2 * b, 4 * b);
  const e4 = block(mb, maxPool(mb, e3), 'disc.enc4', 4 * b, 8 * b);
  const e5 = block(mb, maxPool(mb, e4), 'disc.enc5', 8 * b, 8 * b);
  const e6 = block(mb, maxPool(mb, e5), 'disc.enc6', 8 * b, 8 * b);
  let h = cbr(mb, up2(mb, e6), 'disc.upb', 8 * b, 8 * b);
  h = block(mb, g.concat([h, e5], 1), 'disc.decb', 16 * b, 8 * b);
  h = cbr(mb, up2(mb, h), 'disc.up1', 8 * b, 4 * b);
  h = block(mb, g.concat([h, e4], 1), 'disc.dec1', 12 * b, 4 * b);
  h = cbr(mb, up2(mb, h), 'disc.up2', 4 * b, 2 * b);
  h = block(mb, g.concat([h, e3], 1), 'disc.dec2', 6 * b, 2 * b);
  h = cbr(mb, up2(mb, h), 'disc.up3', 2 * b, b);
  h = block(mb, g.concat([h, e2], 1), 'disc.dec3', 3 * b, b);
  h = cbr(mb, up2(mb, h), 'disc.up4', b, b);
  h = block(mb, g.concat([h, e1], 1), 'disc.dec4', 2 * b, b);
  return conv2d(mb, h, { name: 'disc.out', inChannels: b, outChannels: 2, kernel: 3, pad: 1 });
}

/** Softmax over the two logits, channel 1 (anomalous): [N, 1, H, W]. */
function anomalyProbability(g: GraphBuilder, logits: string): string {
  return g.slice(g.op('Softmax', [logits], { axis: 1 }), [1], [2], [1]);
}

const named = (g: GraphBuilder, value: string, name: string): string =>
  g.node('Identity', [value], {}, { outputs: [name] })[0];

export interface DraemNetOptions {
  inputSize: number;
  recBase: number;
  discBase: number;
}

/**
 * One Adam step of both sub-networks on a batch: `augmented` (simulated anomalies, half clean),
 * `clean` (the reconstruction target) and `mask`. Loss = L2(rec, clean) + (1 − SSIM) + focal(γ 2),
 * the authors' sum with unit weights.
 */
export function buildDraemTrainingStep(o: DraemNetOptions & { batch: number }): TrainingStepGraph {
  const s = o.inputSize;
  return buildTrainingStep({
    name: 'draem_train_step',
    optimizer: { kind: 'adam' },
    define: (mb) => {
      const g = mb.g;
      const aug = g.input('augmented', 'float32', [o.batch, 3, s, s]);
      const clean = g.input('clean', 'float32', [o.batch, 3, s, s]);
      const mask = g.input('mask', 'float32', [o.batch, 1, s, s]);
      const rec = reconstructive(mb, aug, o.recBase);
      const logits = discriminative(mb, g.concat([rec, aug], 1), o.discBase);
      const p = anomalyProbability(g, logits);
      const l2 = mseLoss(g, rec, clean);
      const ssim = ssimLoss(g, rec, clean, { window: 11, sigma: 1.5 });
      const focal = focalLoss(g, p, mask, { gamma: 2 });
      return { loss: g.add(g.add(l2, ssim), focal), metrics: { l2, ssim, focal } };
    },
  });
}

/**
 * The exported model: input [N, 3, S, S] in [0, 1] → anomaly_map [N, 1, S, S] (softmax channel 1)
 * and pred_score [N] (max of the map after a k×k mean filter, stride 1, zero padding counted, as
 * F.avg_pool2d in the authors' test code). `reconstruction` is kept as a third output for the
 * contact sheets and tests.
 */
export function buildDraemPackageModel(
  o: DraemNetOptions & { scoreFilter: number; weights: ReadonlyMap<string, Float32Array> },
): ModelProto {
  const g = new GraphBuilder('draem', { opset: 17 });
  const s = o.inputSize;
  const x = g.input(INPUT, 'float32', ['N', 3, s, s]);
  const mb = new ModelBuilder(g, { training: false, values: o.weights });
  const rec = reconstructive(mb, x, o.recBase);
  const recOut = named(g, rec, 'reconstruction');
  const logits = discriminative(mb, g.concat([recOut, x], 1), o.discBase);
  const map = named(g, anomalyProbability(g, logits), 'anomaly_map');
  const k = o.scoreFilter;
  const p = Math.floor(k / 2);
  const smooth = g.op('AveragePool', [map], {
    kernel_shape: [k, k],
    strides: [1, 1],
    pads: [p, p, p, p],
    count_include_pad: 1,
  });
  const score = named(g, g.reduce('ReduceMax', smooth, [1, 2, 3], false), 'pred_score');
  g.output(map);
  g.output(score);
  g.output(recOut);
  return g.toModelProto();
}
