/**
 * ReduceL2 y = ‖x‖: gradient δ·x/y (0 where y = 0, as PyTorch). LRP: the square root passes relevance unchanged
 * and the sum of squares splits it, R_i = x_i²/‖x‖² · R.
 */
import { kept, reductionAxes, shareByTerms } from './reduction';
import { CREATES_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceL2',
  traits: { nonNegative: CREATES_NON_NEGATIVE },
  backward(ctx) {
    const { b, node } = ctx;
    const [x] = node.inputs;
    const y = node.outputs[0];
    const axes = reductionAxes(ctx);
    if (ctx.lrp) return [shareByTerms(ctx, axes, b.mul(x, x), b.mul(y, y))];
    // y ≥ |x_i|, so flooring y only changes the all-zero case (x = 0 there, and the gradient with it).
    const scale = b.div(ctx.dy()!, b.op('Max', [y, b.scalar(1e-30)]));
    return [b.mul(x, kept(ctx, scale, axes))];
  },
};
