/**
 * LRP-zB (Montavon et al. 2017), for the first layer, whose input lies in a box [l, h]:
 * R_i = (x_i w_ij − l_i w⁺_ij − h_i w⁻_ij) / Σ_i (…) · R_j. The bounds are graph inputs fed from the live parameters
 * `low` / `high`, or from the model's normalisation of pixels 0 and 1 (see RuleParams.bound).
 */
import { stabilize, TINY } from '../lrp';
import type { LinearRuleDef } from '../types';

export const rule: LinearRuleDef = {
  id: 'zb',
  lrp: true,
  stabilizer: (ctx) => ctx.b.scalar(TINY),
  backward(ctx, map, x) {
    const { b, params } = ctx;
    const shape = ctx.shape(x);
    const full = (bound: string) => b.op('Expand', [bound, b.ints(shape, 'shape')]);
    const low = full(params.bound('low'));
    const high = full(params.bound('high'));
    const denom = b.sub(b.sub(map.forward(x, 'id', 'none'), map.forward(low, 'pos', 'none')), map.forward(high, 'neg', 'none'));
    const s = b.div(ctx.dy(0)!, stabilize(b, denom, b.scalar(TINY)));
    return b.sub(b.sub(b.mul(x, map.transpose(s, 'id')), b.mul(low, map.transpose(s, 'pos'))), b.mul(high, map.transpose(s, 'neg')));
  },
};
