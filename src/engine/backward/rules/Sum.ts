/**
 * Sum of any number of broadcasting inputs: the gradient passes to each (summed back over broadcast axes); LRP
 * splits relevance in proportion to the summands, like Add (with one input-dependent summand it passes unchanged).
 */
import { splitRelevance, toInput } from './elementwise';
import { KEEPS_NON_NEGATIVE_ALL, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Sum',
  traits: { nonNegative: KEEPS_NON_NEGATIVE_ALL },
  backward(ctx) {
    const { node } = ctx;
    if (ctx.lrp && node.inputs.filter((_, i) => ctx.wants(i)).length > 1) return splitRelevance(ctx, node.inputs);
    return node.inputs.map((_, i) => toInput(ctx, i, ctx.dy()!));
  },
};
