/**
 * LRP-γ (Montavon et al. 2019, "Layer-wise relevance propagation: an overview", §10.2): contributions of the same
 * sign as the output are amplified by 1 + γ, so relevance follows the evidence that made the output what it is:
 *   z_j > 0: c_ij = x_i w_ij + γ (x_i w_ij)⁺,   z_j < 0: c_ij = x_i w_ij + γ (x_i w_ij)⁻,   R_i = Σ_j c_ij / Σ_i' c_i'j · R_j,
 * the biases amplified alike (b + γb⁺ / b + γb⁻). For inputs ≥ 0 and z_j > 0 this is the paper's
 * x_i (w_ij + γ w⁺_ij) / Σ x (w + γw⁺). γ is the live parameter `gamma`: γ = 0 is LRP-0, γ → ∞ tends to z⁺.
 */
import { attr } from '../../ir/graph';
import { DataType } from '../../ir/tensor';
import { stabilize, TINY } from '../lrp';
import type { LinearRuleDef } from '../types';
import { contributionRelevance, contributionSum, splitInput } from './contributions';

export const rule: LinearRuleDef = {
  id: 'gamma',
  lrp: true,
  stabilizer: (ctx) => ctx.b.scalar(TINY),
  backward(ctx, map, x, z) {
    const { b } = ctx;
    const gamma = ctx.params.live('gamma');
    const split = splitInput(ctx, x);
    const positive = b.op('Cast', [b.op('GreaterOrEqual', [z, b.scalar(0)])], { to: attr.i(DataType.FLOAT) });
    const negative = b.sub(b.scalar(1), positive);
    // The denominator Σ_i c_ij: z plus γ times the contributions (with bias) of z's own sign.
    const same = b.add(b.mul(positive, contributionSum(b, map, split, 'pos', 'pos')), b.mul(negative, contributionSum(b, map, split, 'neg', 'neg')));
    const s = b.div(ctx.dy(0)!, stabilize(b, b.add(z, b.mul(gamma, same)), b.scalar(TINY)));
    const amplified = b.add(contributionRelevance(b, map, split, 'pos', b.mul(s, positive)), contributionRelevance(b, map, split, 'neg', b.mul(s, negative)));
    return b.add(b.mul(x, map.transpose(s, 'id')), b.mul(gamma, amplified));
  },
};
