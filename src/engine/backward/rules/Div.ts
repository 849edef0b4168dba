/** Div a / b. Gradient: δ/b and −δ·a/b². LRP: relevance stays with the numerator. */
import { toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Div',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) return [toInput(ctx, 0, dy), undefined];
    const den = node.inputs[1];
    const da = ctx.wants(0) ? toInput(ctx, 0, b.div(dy, den)) : undefined;
    const db = ctx.wants(1) ? toInput(ctx, 1, b.neg(b.div(b.mul(dy, node.outputs[0]), den))) : undefined;
    return [da, db];
  },
};
