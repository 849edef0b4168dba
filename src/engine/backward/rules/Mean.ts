/** Mean of n broadcasting inputs: gradient δ/n to each; LRP splits by the terms x_i/n, like Sum. */
import { splitRelevance, toInput } from './elementwise';
import { KEEPS_NON_NEGATIVE_ALL, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Mean',
  traits: { nonNegative: KEEPS_NON_NEGATIVE_ALL },
  backward(ctx) {
    const { b, node } = ctx;
    const inv = b.scalar(1 / node.inputs.length);
    if (ctx.lrp) {
      const dependent = node.inputs.filter((_, i) => ctx.wants(i)).length;
      if (dependent > 1) return splitRelevance(ctx, node.inputs.map((x, i) => (ctx.wants(i) ? b.mul(x, inv) : undefined)));
      return node.inputs.map((_, i) => toInput(ctx, i, ctx.dy()!));
    }
    const dy = b.mul(ctx.dy()!, inv);
    return node.inputs.map((_, i) => toInput(ctx, i, dy));
  },
};
