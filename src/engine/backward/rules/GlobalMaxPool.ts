/** GlobalMaxPool: the signal goes to the positions equal to the channel maximum. */
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'GlobalMaxPool',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' },
  backward(ctx) {
    const { b, node } = ctx;
    const [x] = node.inputs;
    const winners = b.mask('Equal', x, node.outputs[0]);
    return [b.mul(winners, ctx.dy()!)];
  },
};
