/** Shared shape of the Softmax and LogSoftmax rules: identity under LRP, a per-axis formula otherwise. */
import { getInt } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { axisOf } from './shared';
import type { OpRule } from '../types';

export function softmaxLike(op: string, gradient: (b: GraphBuilder, dy: string, y: string, axis: number) => string): OpRule {
  return {
    op,
    category: 'activation',
    backward(ctx) {
      const { b, node } = ctx;
      const dy = ctx.dy()!;
      if (ctx.lrp) return [dy];
      const y = node.outputs[0];
      return [gradient(b, dy, y, axisOf(getInt(node, 'axis', -1), ctx.shape(y).length))];
    },
  };
}
