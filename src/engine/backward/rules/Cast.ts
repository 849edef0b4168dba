/** Cast between float types: the signal passes unchanged (casts to other types end the differentiable path). */
import { DataType } from '../../ir/tensor';
import { getInt } from '../../ir/graph';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Cast',
  backward(ctx) {
    const to = getInt(ctx.node, 'to', DataType.FLOAT);
    if (to !== DataType.FLOAT && to !== DataType.DOUBLE && to !== DataType.FLOAT16) {
      throw ctx.unsupported('a cast to a non-float type is not differentiable');
    }
    return [ctx.dy()];
  },
};
