/** InstanceNormalization: each (item, channel) normalised over its spatial axes; see normalization.ts. */
import { getFloat } from '../../ir/graph';
import { normBackward } from './normalization';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'InstanceNormalization',
  backward(ctx) {
    const { b, node } = ctx;
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('scale and bias must not depend on the input');
    const shape = ctx.shape(node.inputs[0]);
    const perChannel = [shape[1], ...shape.slice(2).map(() => 1)];
    const dx = normBackward(ctx, {
      rows: shape[0] * shape[1],
      M: shape.slice(2).reduce((p, d) => p * d, 1),
      epsilon: getFloat(node, 'epsilon', 1e-5),
      scale: b.reshape(node.inputs[1], perChannel),
      bias: b.reshape(node.inputs[2], perChannel),
    });
    return [dx];
  },
};
