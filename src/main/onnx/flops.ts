// Arithmetic cost of a graph, from inferred shapes, per batch item.
import type { GraphBuilder } from './builder';

export interface FlopCount {
  /** 2 × multiply-accumulates of Conv, ConvTranspose, MatMul and Gemm nodes. */
  flops: number;
  byOp: Record<string, number>;
}

const num = (d: number | string | undefined) => (typeof d === 'number' ? d : NaN);

/**
 * Conv: 2·Cout·(Cin/group)·kh·kw·Hout·Wout per image. Dims that are symbolic other than the batch
 * make the count NaN, which callers should treat as "unknown".
 */
export function countFlops(g: GraphBuilder): FlopCount {
  const byOp: Record<string, number> = {};
  let flops = 0;
  for (const n of g.nodes) {
    let f: number;
    if (n.opType === 'Conv' || n.opType === 'ConvTranspose') {
      const w = g.shapeOf(n.inputs[1]);
      const y = g.shapeOf(n.outputs[0]);
      const x = g.shapeOf(n.inputs[0]);
      if (!w || !y || !x) continue;
      const kernel = w.slice(2).reduce<number>((a, b) => a * num(b), 1);
      if (n.opType === 'Conv') {
        // Weight is [Cout, Cin/group, k...]: its dims 0·1 already are Cout·Cin/group.
        f = 2 * num(w[0]) * num(w[1]) * kernel * y.slice(2).reduce<number>((a, b) => a * num(b), 1);
      } else {
        // Weight is [Cin, Cout/group, k...]; every input pixel scatters a kernel.
        f = 2 * num(w[0]) * num(w[1]) * kernel * x.slice(2).reduce<number>((a, b) => a * num(b), 1);
      }
    } else if (n.opType === 'MatMul' || n.opType === 'Gemm') {
      const a = g.shapeOf(n.inputs[0]);
      const y = g.shapeOf(n.outputs[0]);
      if (!a || !y) continue;
      const transA = n.attrs.transA?.type === 'int' && n.attrs.transA.value === 1;
      const k = num(transA ? a[a.length - 2] : a[a.length - 1]);
      // Leading dim of a MatMul output is usually the batch; count per item by skipping it when symbolic.
      const outElems = y.reduce<number>((p, d) => (typeof d === 'string' ? p : p * d), 1);
      f = 2 * k * outElems;
    } else continue;
    flops += f;
    byOp[n.opType] = (byOp[n.opType] ?? 0) + f;
  }
  return { flops, byOp };
}
