/**
 * The positive and negative halves of a linear layer's contributions x_i·w_ij, shared by z⁺ and αβ: with x split
 * into x⁺ and x⁻ (x⁻ omitted where x is known ≥ 0), positive contributions are W⁺x⁺ + W⁻x⁻ and negative ones
 * W⁻x⁺ + W⁺x⁻.
 */
import type { GraphBuilder } from '../../ir/builder';
import { TINY, type BiasMod, type LinearMap } from '../lrp';
import type { BackwardContext } from '../types';

export interface SplitInput { xp: string; xn?: string }

export function splitInput(ctx: BackwardContext, x: string): SplitInput {
  return ctx.nonNegative(x) ? { xp: x } : { xp: ctx.b.relu(x), xn: ctx.b.negPart(x) };
}

/** Σ_i of the contributions of one sign (with the given bias half). */
export function contributionSum(b: GraphBuilder, map: LinearMap, { xp, xn }: SplitInput, sign: 'pos' | 'neg', bias: BiasMod): string {
  const [same, other] = sign === 'pos' ? (['pos', 'neg'] as const) : (['neg', 'pos'] as const);
  const z = map.forward(xp, same, bias);
  return xn ? b.add(z, map.forward(xn, other, 'none')) : z;
}

/** The relevance x_i·w_ij·s_j of the contributions of one sign, summed over j. */
export function contributionRelevance(b: GraphBuilder, map: LinearMap, { xp, xn }: SplitInput, sign: 'pos' | 'neg', s: string): string {
  const [same, other] = sign === 'pos' ? (['pos', 'neg'] as const) : (['neg', 'pos'] as const);
  const r = b.mul(xp, map.transpose(s, same));
  return xn ? b.add(r, b.mul(xn, map.transpose(s, other))) : r;
}

/**
 * R / z for the contributions of one sign; z⁺ ≥ 0 and z⁻ ≤ 0 by construction, so the stabiliser is one Add. Maps
 * applied in factored form mask outputs without such contributions (see LinearMap.factored).
 */
export function signedRatio(b: GraphBuilder, map: LinearMap, R: string, z: string, sign: 'pos' | 'neg'): string {
  const tiny = b.scalar(TINY);
  const s = sign === 'pos' ? b.div(R, b.add(z, tiny)) : b.div(R, b.sub(z, tiny));
  return map.factored ? b.mul(s, b.mask(sign === 'pos' ? 'Greater' : 'Less', z, b.scalar(0))) : s;
}
