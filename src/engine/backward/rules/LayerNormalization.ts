/** LayerNormalization (opset 17): normalises over axes [axis, rank) of each item; see normalization.ts. */
import { getFloat, getInt } from '../../ir/graph';
import { normBackward } from './normalization';
import { axisOf } from './shared';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'LayerNormalization',
  backward(ctx) {
    const { node } = ctx;
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('scale and bias must not depend on the input');
    const shape = ctx.shape(node.inputs[0]);
    const axis = axisOf(getInt(node, 'axis', -1), shape.length);
    const rows = shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const M = shape.slice(axis).reduce((p, d) => p * d, 1);
    const dx = normBackward(ctx, {
      rows, M, epsilon: getFloat(node, 'epsilon', 1e-5), scale: node.inputs[1], bias: node.inputs[2] || undefined,
    });
    return [dx];
  },
};
