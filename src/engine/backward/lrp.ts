/**
 * The linear-layer rules (docs/lrp-rules.md): gradient, LRP-ε, z⁺, αβ and zB, written once over an abstract
 * linear map (its forward with modified weights, and its transpose), so each linear op file only says how to apply
 * and transpose itself.
 */
import type { GraphBuilder } from '../ir/builder';
import { ConstTensor, DataType } from '../ir/tensor';
import { attr } from '../ir/graph';
import type { BackwardContext } from './types';

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
 * Signal for the input x of a linear layer with output z, under the node's linear rule. For the gradient this is
 * Wᵀδ; the LRP rules follow the definitions in docs/lrp-rules.md (relevance R arrives as the signal).
 */
export function linearBackward(ctx: BackwardContext, map: LinearMap, x: string, z: string): string {
  const { b, params } = ctx;
  const R = ctx.dy(0)!;
  const rule = ctx.rules.linear;
  if (rule === 'gradient') return map.transpose(R, 'id');
  if (!map.signed && rule !== 'epsilon') {
    // Pools and sums: all weights positive, so z⁺, αβ and zB reduce to the ε-rule with a tiny ε.
    return b.mul(x, map.transpose(b.div(R, stabilize(b, z, b.scalar(TINY))), 'id'));
  }
  if (rule === 'epsilon') {
    return b.mul(x, map.transpose(b.div(R, stabilize(b, z, params.eps)), 'id'));
  }
  const tiny = b.scalar(TINY);
  const nonneg = ctx.nonNegative(x);
  if (rule === 'zb') {
    const shape = ctx.shape(x);
    const full = (bound: string) => b.op('Expand', [bound, b.ints(shape, 'shape')]);
    const low = full(params.low);
    const high = full(params.high);
    const denom = b.sub(b.sub(map.forward(x, 'id', 'none'), map.forward(low, 'pos', 'none')), map.forward(high, 'neg', 'none'));
    const s = b.div(R, stabilize(b, denom, tiny));
    return b.sub(b.sub(b.mul(x, map.transpose(s, 'id')), b.mul(low, map.transpose(s, 'pos'))), b.mul(high, map.transpose(s, 'neg')));
  }
  const xp = nonneg ? x : b.relu(x);
  const xn = nonneg ? undefined : b.negPart(x);
  // Positive contributions: W⁺x⁺ + W⁻x⁻ (+ b⁺ for αβ).
  const posBias: BiasMod = rule === 'alphabeta' ? 'pos' : 'none';
  let zp = map.forward(xp, 'pos', posBias);
  if (xn) zp = b.add(zp, map.forward(xn, 'neg', 'none'));
  // zp ≥ 0 and zn ≤ 0 by construction (W⁺x⁺, W⁻x⁻, b⁺ ≥ 0), so their sign is known and the stabiliser is one Add.
  let sp = b.div(R, b.add(zp, tiny));
  if (map.factored) sp = b.mul(sp, b.mask('Greater', zp, b.scalar(0)));
  let pos = b.mul(xp, map.transpose(sp, 'pos'));
  if (xn) pos = b.add(pos, b.mul(xn, map.transpose(sp, 'neg')));
  if (rule === 'zplus') return pos;
  if (params.betaIsZero) return b.mul(params.alpha, pos);
  // Negative contributions: W⁺x⁻ + W⁻x⁺ + b⁻.
  let zn = map.forward(xp, 'neg', 'neg');
  if (xn) zn = b.add(zn, map.forward(xn, 'pos', 'none'));
  // An exactly zero zn means every negative contribution is zero, so the sign used for it does not matter.
  let sn = b.div(R, b.sub(zn, tiny));
  if (map.factored) sn = b.mul(sn, b.mask('Less', zn, b.scalar(0)));
  let neg = b.mul(xp, map.transpose(sn, 'neg'));
  if (xn) neg = b.add(neg, b.mul(xn, map.transpose(sn, 'pos')));
  return b.sub(b.mul(params.alpha, pos), b.mul(params.beta, neg));
}
