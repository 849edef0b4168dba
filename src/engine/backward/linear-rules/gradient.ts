/** The gradient through a linear layer: Wᵀδ (no LRP; the deconvolution family's linear rule). */
import { TINY } from '../lrp';
import type { LinearRuleDef } from '../types';

export const rule: LinearRuleDef = {
  id: 'gradient',
  lrp: false,
  stabilizer: (ctx) => ctx.b.scalar(TINY),
  backward: (ctx, map) => map.transpose(ctx.dy(0)!, 'id'),
};
