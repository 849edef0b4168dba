/** GlobalMaxPool: the signal goes to the positions equal to the channel maximum. */
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'GlobalMaxPool',
  category: 'structural',
  backward(ctx) {
    const { b, node } = ctx;
    const [x] = node.inputs;
    const winners = b.mask('Equal', x, node.outputs[0]);
    return [b.mul(winners, ctx.dy()!)];
  },
};
