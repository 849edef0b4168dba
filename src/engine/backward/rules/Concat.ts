/** Concat: each input gets its slice of the signal. */
import { getInt } from '../../ir/graph';
import { axisOf } from './shared';
import { KEEPS_NON_NEGATIVE_ALL, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Concat',
  traits: { nonNegative: KEEPS_NON_NEGATIVE_ALL },
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    const axis = axisOf(getInt(node, 'axis', 0), ctx.shape(node.outputs[0]).length);
    let offset = 0;
    return node.inputs.map((inp, i) => {
      const size = ctx.shape(inp)[axis];
      const start = offset;
      offset += size;
      if (!ctx.wants(i)) return undefined;
      return b.op('Slice', [dy, b.ints([start]), b.ints([start + size]), b.ints([axis])]);
    });
  },
};
