/**
 * LRN y = x / d^β with d = k + (α/n)·Σ_window x² over neighbouring channels. Gradient:
 * δx = δ·d^−β − (2αβ/n)·x·Σ_window'(δ·x·d^(−β−1)), window' being the mirrored channel window. Channel-window sums are
 * a Conv with a column of ones over the tensor viewed as (N, 1, C, H·W). Identity under LRP.
 */
import { attr, getFloat, getInt } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { ConstTensor } from '../../ir/tensor';
import type { OpRule } from '../types';

function channelWindowSum(b: GraphBuilder, x: string, shape: number[], size: number, before: number, after: number): string {
  const [n, c, ...rest] = shape;
  const spatial = rest.reduce((p, d) => p * d, 1);
  const ones = b.memo(`lrn_ones_${size}`, () => b.constant(ConstTensor.float32([1, 1, size, 1], new Float32Array(size).fill(1)), 'lrn_ones'));
  const viewed = b.reshape(x, [n, 1, c, spatial]);
  const summed = b.op('Conv', [viewed, ones], { kernel_shape: attr.ints([size, 1]), pads: attr.ints([before, 0, after, 0]) });
  return b.reshape(summed, shape);
}

export const rule: OpRule = {
  op: 'LRN',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) return [dy];
    const x = node.inputs[0];
    const shape = ctx.shape(x);
    const size = getInt(node, 'size', 1);
    const alpha = getFloat(node, 'alpha', 1e-4);
    const beta = getFloat(node, 'beta', 0.75);
    const bias = getFloat(node, 'bias', 1);
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    const d = b.add(b.scalar(bias), b.mul(b.scalar(alpha / size), channelWindowSum(b, b.mul(x, x), shape, size, lo, hi)));
    const dPowNegBeta = b.op('Pow', [d, b.scalar(-beta)]);
    const inner = b.div(b.mul(b.mul(dy, x), dPowNegBeta), d);
    const mirrored = channelWindowSum(b, inner, shape, size, hi, lo);
    return [b.sub(b.mul(dy, dPowNegBeta), b.mul(b.scalar((2 * alpha * beta) / size), b.mul(x, mirrored)))];
  },
};
