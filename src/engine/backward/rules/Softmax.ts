/** Softmax along one axis: δx = y ⊙ (δ − Σ_axis δ⊙y); identity under LRP. */
import { getInt } from '../../ir/graph';
import { axisOf } from './shared';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Softmax',
  category: 'activation',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) return [dy];
    const y = node.outputs[0];
    const axis = axisOf(getInt(node, 'axis', -1), ctx.shape(y).length);
    const dot = b.reduce('ReduceSum', b.mul(dy, y), [axis], true);
    return [b.mul(y, b.sub(dy, dot))];
  },
};
