/**
 * LRP-αβ (Bach et al. 2015): positive contributions (with b⁺) weighted by α, negative ones (with b⁻) by β, from the
 * live parameters `alpha` and `beta`; a method that fixes β = 0 compiles without the negative half.
 */
import { TINY } from '../lrp';
import type { LinearRuleDef } from '../types';
import { contributionRelevance, contributionSum, signedRatio, splitInput } from './contributions';

export const rule: LinearRuleDef = {
  id: 'alphabeta',
  lrp: true,
  stabilizer: (ctx) => ctx.b.scalar(TINY),
  backward(ctx, map, x) {
    const { b, params } = ctx;
    const R = ctx.dy(0)!;
    const split = splitInput(ctx, x);
    const zp = contributionSum(b, map, split, 'pos', 'pos');
    const pos = contributionRelevance(b, map, split, 'pos', signedRatio(b, map, R, zp, 'pos'));
    if (params.betaIsZero) return b.mul(params.live('alpha'), pos);
    // An exactly zero z⁻ means every negative contribution is zero, so the sign used for it does not matter.
    const zn = contributionSum(b, map, split, 'neg', 'neg');
    const neg = contributionRelevance(b, map, split, 'neg', signedRatio(b, map, R, zn, 'neg'));
    return b.sub(b.mul(params.live('alpha'), pos), b.mul(params.live('beta'), neg));
  },
};
