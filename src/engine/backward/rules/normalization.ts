/**
 * LayerNormalization, GroupNormalization and InstanceNormalization share one shape: viewed as (rows, M), each row
 * is one normalisation group, centred and divided by its standard deviation σ, then scaled by γ and shifted by β
 * (both given broadcastable to the input).
 *
 * Gradient (exact): dx = (g − mean(g) − x̂·mean(g ⊙ x̂)) / σ with g = γ ⊙ δ, x̂ = (x − mean x)/σ, per row.
 * LRP (AttnLRP, Achtibat et al. 2024, Sec. 3.3 and Prop. 3.4): the division by σ takes the identity rule (σ is held
 * constant), the centring x − mean(x) and the affine γ, β are linear. The layer is then the linear map
 * y = a ⊙ (x − mean x) + β, a = γ/σ, and every linear rule (ε, z⁺, αβ, zB) applies to it via linearBackward.
 */
import type { GraphBuilder } from '../../ir/builder';
import { linearBackward, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { BackwardContext } from '../types';

export interface NormSpec {
  /** Rows × M view of the input: each row is one normalisation group (contiguous in memory). */
  rows: number;
  M: number;
  epsilon: number;
  /** γ and β as tensors broadcastable to the input (undefined: 1 and 0). */
  scale?: string;
  bias?: string;
}

export function normBackward(ctx: BackwardContext, spec: NormSpec): string {
  const { b, node } = ctx;
  if (ctx.node.outputs.slice(1).some((_, i) => ctx.dy(i + 1) !== undefined)) {
    throw ctx.unsupported('only the normalised output may be used on the explained path (not Mean/InvStdDev)');
  }
  const x = node.inputs[0];
  const shape = ctx.shape(x);
  const view = [spec.rows, spec.M];
  const toView = (t: string) => b.reshape(t, view);
  const full = (t: string) => toView(b.op('Expand', [t, b.ints(shape, 'shape')]));
  const mean = (t: string) => b.reduce('ReduceMean', t, [1], true);
  const xv = toView(x);
  const centred = b.sub(xv, mean(xv));
  const sigma = b.op('Sqrt', [b.add(mean(b.mul(centred, centred)), b.scalar(spec.epsilon))]);
  const gamma = spec.scale ? full(spec.scale) : undefined;
  if (!ctx.lrp) {
    const dy = toView(ctx.dy()!);
    const g = gamma ? b.mul(dy, gamma) : dy;
    const xhat = b.div(centred, sigma);
    const dx = b.div(b.sub(b.sub(g, mean(g)), b.mul(xhat, mean(b.mul(g, xhat)))), sigma);
    return b.reshape(dx, shape);
  }
  // Without γ, a = 1/σ stays (rows, 1) and broadcasts along each row.
  const a = b.div(gamma ?? b.scalar(1), sigma);
  return linearBackward(ctx, centringMap(b, a, spec, shape, spec.bias ? full(spec.bias) : undefined), x, node.outputs[0]);
}

/**
 * y = a ⊙ (x − mean x) per row as a matrix W with W_ij = a_i(δ_ij − 1/M): its diagonal is a(1 − 1/M) and each
 * row's off-diagonal entries are −a/M, so W⁺ and W⁻ keep the same form. With p = diagonal − off-diagonal and o the
 * off-diagonal coefficient, Wx = p ⊙ x + o·Σx and Wᵀs = p ⊙ s + Σ(o ⊙ s), per row.
 */
function centringMap(b: GraphBuilder, a: string, spec: NormSpec, shape: number[], beta: string | undefined): LinearMap {
  const view = [spec.rows, spec.M];
  const inv = 1 / spec.M;
  const coeffs = (mod: WeightMod): { p: string; o: string } => {
    const key = `${a}|centring|${mod}`;
    const p = () => b.memo(`${key}|p`, () => {
      if (mod === 'id') return a;
      const [same, other] = mod === 'pos' ? [b.relu(a), b.negPart(a)] : [b.negPart(a), b.relu(a)];
      return b.add(b.mul(same, b.scalar(1 - inv)), b.mul(other, b.scalar(inv)));
    });
    const o = () => b.memo(`${key}|o`, () => b.mul(mod === 'neg' ? b.relu(a) : mod === 'pos' ? b.negPart(a) : a, b.scalar(-inv)));
    return { p: p(), o: o() };
  };
  const rowSum = (t: string) => b.reduce('ReduceSum', t, [1], true);
  const biasOf = (mod: BiasMod): string | undefined => {
    if (!beta || mod === 'none') return undefined;
    return mod === 'keep' ? beta : mod === 'pos' ? b.relu(beta) : b.negPart(beta);
  };
  return {
    signed: true,
    factored: true,
    forward(x: string, mod: WeightMod, biasMod: BiasMod) {
      const { p, o } = coeffs(mod);
      const xv = b.reshape(x, view);
      let z = b.add(b.mul(p, xv), b.mul(o, rowSum(xv)));
      const bias = biasOf(biasMod);
      if (bias) z = b.add(z, bias);
      return b.reshape(z, shape);
    },
    transpose(s: string, mod: WeightMod) {
      const { p, o } = coeffs(mod);
      const sv = b.reshape(s, view);
      return b.reshape(b.add(b.mul(p, sv), rowSum(b.mul(o, sv))), shape);
    },
  };
}
