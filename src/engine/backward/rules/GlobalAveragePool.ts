/** GlobalAveragePool: its transpose spreads each channel's signal evenly over the spatial positions. */
import { linearBackward, type LinearMap } from '../lrp';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'GlobalAveragePool',
  category: 'linear',
  backward(ctx) {
    const { b, node } = ctx;
    const x = node.inputs[0];
    const shape = ctx.shape(x);
    const count = shape.slice(2).reduce((p, d) => p * d, 1);
    const map: LinearMap = {
      signed: false,
      forward: (input) => b.op('GlobalAveragePool', [input]),
      transpose: (s) => b.op('Expand', [b.mul(s, b.scalar(1 / count)), b.ints(shape, 'shape')]),
    };
    return [linearBackward(ctx, map, x, node.outputs[0])];
  },
};
