/**
 * The abstract linear map the linear-layer rules (./linear-rules, docs/lrp-rules.md) are written over: its forward
 * with modified weights and its transpose, so each linear op file only says how to apply and transpose itself.
 */
import type { GraphBuilder } from '../ir/builder';
import { ConstTensor, DataType } from '../ir/tensor';
import { attr } from '../ir/graph';
import type { BackwardContext } from './types';
import { linearRule } from './linear-rules';

export type WeightMod = 'id' | 'pos' | 'neg';
export type BiasMod = 'keep' | 'pos' | 'neg' | 'none';

export interface LinearMap {
  /** False for pools and sums, whose implicit weights are all ≥ 0 (z⁺/αβ/zB then reduce to a tiny-ε rule). */
  signed: boolean;
  /**
   * The map is applied in factored form (sums and differences, not one matrix product), so R/tiny of an output
   * without contributions (z⁺ or z⁻ exactly 0) would not cancel to 0 in the transpose: such outputs are masked.
   */
  factored?: boolean;
  /** z = W_mod x (+ b_mod). */
  forward(x: string, w: WeightMod, bias: BiasMod): string;
  /** W_modᵀ s, shaped like the input. */
  transpose(s: string, w: WeightMod): string;
}

/** Stabiliser for the z⁺, αβ and zB denominators (they have no ε parameter). */
export const TINY = 1e-9;

/**
 * z + eps·sign(z) with sign(0) = +1, as z + eps·(2·1[z ≥ 0] − 1). Written with Cast masks: onnxruntime's Sign and
 * scalar-broadcast Where kernels are several times slower on large tensors (profiled on ResNet-50).
 */
export function stabilize(b: GraphBuilder, z: string, eps: string): string {
  const nonNegative = b.op('Cast', [b.op('GreaterOrEqual', [z, b.scalar(0)])], { to: attr.i(DataType.FLOAT) });
  const twoEps = b.mul(eps, b.scalar(2));
  return b.add(z, b.sub(b.mul(nonNegative, twoEps), eps));
}

/** A constant tensor with a value transform, cached per source tensor and transform. */
export function transformedConstant(b: GraphBuilder, name: string, key: string, t: ConstTensor,
  f: (v: Float32Array) => { dims: number[]; data: Float32Array }): string {
  return b.memo(`${name}|${key}`, () => {
    if (t.dataType !== DataType.FLOAT) throw new Error(`weights '${name}' are not float32`);
    const out = f(t.floats());
    return b.constant(ConstTensor.float32(out.dims, out.data), key);
  });
}

/** W⁺ / W⁻ / W of a constant weight, as a new initializer (or the original name for 'id'). */
export function modifiedWeight(b: GraphBuilder, name: string, t: ConstTensor, mod: WeightMod | BiasMod): string {
  if (mod === 'id' || mod === 'keep') return name;
  const keep = mod === 'pos' ? (x: number) => (x > 0 ? x : 0) : (x: number) => (x < 0 ? x : 0);
  return transformedConstant(b, name, mod, t, (v) => ({ dims: t.dims, data: v.map(keep) }));
}

/**
 * R_i = x_i Σ_j w_ij R_j / (z_j + stab·sign z_j): the ε-rule, and what every LRP rule reduces to on maps whose
 * weights are all ≥ 0 (pools, sums), there with its own stabiliser.
 */
export function proportional(ctx: BackwardContext, map: LinearMap, x: string, z: string, stabilizer: string): string {
  const { b } = ctx;
  return b.mul(x, map.transpose(b.div(ctx.dy(0)!, stabilize(b, z, stabilizer)), 'id'));
}

/**
 * Signal for the input x of a linear layer with output z, under the node's linear rule (./linear-rules). For the
 * gradient this is Wᵀδ; the LRP rules follow docs/lrp-rules.md (relevance R arrives as the signal).
 */
export function linearBackward(ctx: BackwardContext, map: LinearMap, x: string, z: string): string {
  const rule = linearRule(ctx.rules.linear);
  if (rule.lrp && !map.signed) return proportional(ctx, map, x, z, rule.stabilizer(ctx));
  return rule.backward(ctx, map, x, z);
}
