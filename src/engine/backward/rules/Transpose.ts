/** Transpose: the signal goes back through the inverse permutation (channel shuffle in ShuffleNet). */
import { attr, getInts } from '../../ir/graph';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Transpose',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' },
  backward(ctx) {
    const rank = ctx.shape(ctx.node.inputs[0]).length;
    const perm = getInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.b.op('Transpose', [ctx.dy()!], { perm: attr.ints(inverse) })];
  },
};
