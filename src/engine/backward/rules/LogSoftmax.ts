/** LogSoftmax along one axis: δx = δ − softmax ⊙ Σ_axis δ; identity under LRP. */
import { getInt } from '../../ir/graph';
import { axisOf } from './shared';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'LogSoftmax',
  category: 'activation',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) return [dy];
    const y = node.outputs[0];
    const axis = axisOf(getInt(node, 'axis', -1), ctx.shape(y).length);
    const total = b.reduce('ReduceSum', dy, [axis], true);
    return [b.sub(dy, b.mul(b.op('Exp', [y]), total))];
  },
};
