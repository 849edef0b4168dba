/** LRP-z⁺ (Montavon et al. 2017): relevance follows the positive contributions only (αβ with α = 1, β = 0, no bias). */
import { TINY } from '../lrp';
import type { LinearRuleDef } from '../types';
import { contributionRelevance, contributionSum, signedRatio, splitInput } from './contributions';

export const rule: LinearRuleDef = {
  id: 'zplus',
  lrp: true,
  stabilizer: (ctx) => ctx.b.scalar(TINY),
  backward(ctx, map, x) {
    const split = splitInput(ctx, x);
    const zp = contributionSum(ctx.b, map, split, 'pos', 'none');
    return contributionRelevance(ctx.b, map, split, 'pos', signedRatio(ctx.b, map, ctx.dy(0)!, zp, 'pos'));
  },
};
