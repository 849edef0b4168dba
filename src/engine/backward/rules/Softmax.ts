/**
 * Softmax along one axis. Gradient: δx = y ⊙ (δ − Σ_axis δ⊙y). LRP (AttnLRP, Achtibat et al. 2024, Prop. 3.1: a
 * first-order Taylor decomposition at x): R_x = x ⊙ (R − y ⊙ Σ_axis R). The Taylor remainder (a bias) is not
 * redistributed, so relevance is not conserved through a softmax; that is the rule's definition. Masked logits
 * (−∞, where y = 0) count as 0 so that they get no relevance instead of −∞·0.
 */
import { attr } from '../../ir/graph';
import { softmaxLike } from './softmax-like';
import { CREATES_NON_NEGATIVE } from '../types';

export const rule = softmaxLike('Softmax',
  (b, dy, y, axis) => b.mul(y, b.sub(dy, b.reduce('ReduceSum', b.mul(dy, y), [axis], true))),
  (b, R, y, axis, x) => {
    const finite = b.op('Where', [b.op('IsInf', [x], { detect_positive: attr.i(0) }), b.scalar(0), x]);
    return b.mul(finite, b.sub(R, b.mul(y, b.reduce('ReduceSum', R, [axis], true))));
  },
  { nonNegative: CREATES_NON_NEGATIVE });
