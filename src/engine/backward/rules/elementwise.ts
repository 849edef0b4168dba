/** Shared logic of the elementwise ops with NumPy broadcasting (Add, Sub, Mul, Div, Sum, Mean, Min, Max, …). */
import { stabilize } from '../lrp';
import type { BackwardContext } from '../types';

/** Signal for input i given the full-shape contribution. */
export function toInput(ctx: BackwardContext, i: number, signal: string): string | undefined {
  if (!ctx.wants(i)) return undefined;
  return ctx.b.unbroadcast(signal, ctx.shape(ctx.node.outputs[0]), ctx.shape(ctx.node.inputs[i]));
}

export function isConstant(ctx: BackwardContext, i: number): boolean {
  return !!ctx.constant(ctx.node.inputs[i]);
}

/**
 * LRP for a sum (Add, Sub, Sum, Mean): term i, the contribution of input i to the output, gets relevance in
 * proportion to it, R_i = t_i/(z ± ε)·R; undefined terms (constants) get none and keep their share, like a bias.
 */
export function splitRelevance(ctx: BackwardContext, terms: readonly (string | undefined)[]): (string | undefined)[] {
  const { b } = ctx;
  const eps = ctx.stabilizer();
  const s = b.div(ctx.dy()!, stabilize(b, ctx.node.outputs[0], eps));
  return terms.map((t, i) => (t && ctx.wants(i) ? toInput(ctx, i, b.mul(t, s)) : undefined));
}
