/** Shared shape of the Softmax and LogSoftmax rules: a per-axis formula for gradients and (optionally) for LRP. */
import { getInt } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { axisOf } from './shared';
import type { OpRule, OpTraits } from '../types';

type AxisFormula = (b: GraphBuilder, dy: string, y: string, axis: number, x: string) => string;

/** `lrp` gives the relevance rule; without one relevance passes unchanged. */
export function softmaxLike(op: string, gradient: AxisFormula, lrp?: AxisFormula, traits?: OpTraits): OpRule {
  return {
    op,
    traits,
    backward(ctx) {
      const { b, node } = ctx;
      const dy = ctx.dy()!;
      if (ctx.lrp && !lrp) return [dy];
      const y = node.outputs[0];
      const axis = axisOf(getInt(node, 'axis', -1), ctx.shape(y).length);
      return [(ctx.lrp ? lrp! : gradient)(b, dy, y, axis, node.inputs[0])];
    },
  };
}
