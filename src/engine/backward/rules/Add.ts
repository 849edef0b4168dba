/**
 * Add. Residual sums of two input-dependent tensors: the gradient passes to both; LRP splits relevance in
 * proportion to each summand (R_a = a/(a+b)·R, stabilised). A constant summand (a bias) leaves relevance unchanged.
 */
import { isConstant, splitRelevance, toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Add',
  backward(ctx) {
    const [a, c] = ctx.node.inputs;
    if (ctx.lrp && !isConstant(ctx, 0) && !isConstant(ctx, 1)) return splitRelevance(ctx, [a, c]);
    const dy = ctx.dy()!;
    return [toInput(ctx, 0, dy), toInput(ctx, 1, dy)];
  },
};
