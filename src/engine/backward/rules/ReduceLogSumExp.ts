/**
 * ReduceLogSumExp y = log Σ exp x: the signal goes back with the softmax weights exp(x − y). The weights sum to 1,
 * so the same map is LRP's rule too (log and exp pass relevance unchanged; the sum splits it by its terms).
 */
import { kept, reductionAxes } from './reduction';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceLogSumExp',
  backward(ctx) {
    const { b, node } = ctx;
    const axes = reductionAxes(ctx);
    const weights = b.op('Exp', [b.sub(node.inputs[0], kept(ctx, node.outputs[0], axes))]);
    return [b.mul(weights, kept(ctx, ctx.dy()!, axes))];
  },
};
