/** ReduceSumSquare y = Σx²: gradient 2x·δ. LRP splits relevance in proportion to the squares, R_i = x_i²/y · R. */
import { kept, reductionAxes, shareByTerms } from './reduction';
import { CREATES_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceSumSquare',
  traits: { nonNegative: CREATES_NON_NEGATIVE },
  backward(ctx) {
    const { b, node } = ctx;
    const [x] = node.inputs;
    const axes = reductionAxes(ctx);
    if (ctx.lrp) return [shareByTerms(ctx, axes, b.mul(x, x), node.outputs[0])];
    return [b.mul(b.mul(x, b.scalar(2)), kept(ctx, ctx.dy()!, axes))];
  },
};
