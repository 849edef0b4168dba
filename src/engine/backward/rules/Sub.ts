/** Sub a − b: like Add with the second term negated (LRP splits by a and −b). */
import { isConstant, splitRelevance, toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Sub',
  backward(ctx) {
    const { b, node } = ctx;
    const [x, y] = node.inputs;
    if (ctx.lrp && !isConstant(ctx, 0) && !isConstant(ctx, 1)) return splitRelevance(ctx, [x, b.neg(y)]);
    const dy = ctx.dy()!;
    return [toInput(ctx, 0, dy), ctx.wants(1) ? toInput(ctx, 1, b.neg(dy)) : undefined];
  },
};
