/** LRP-ε (Bach et al. 2015): R_i = x_i Σ_j w_ij R_j / (z_j + ε·sign z_j), with ε the live parameter `eps`. */
import { proportional } from '../lrp';
import type { LinearRuleDef } from '../types';

export const rule: LinearRuleDef = {
  id: 'epsilon',
  lrp: true,
  stabilizer: (ctx) => ctx.params.live('eps'),
  backward: (ctx, map, x, z) => proportional(ctx, map, x, z, ctx.params.live('eps')),
};
