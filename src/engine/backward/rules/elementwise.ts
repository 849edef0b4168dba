/** Shared logic of the binary elementwise ops (Add, Sub, Mul, Div) with NumPy broadcasting. */
import { stabilize, TINY } from '../lrp';
import type { BackwardContext } from '../types';

/** Signal for input i given the full-shape contribution. */
export function toInput(ctx: BackwardContext, i: number, signal: string): string | undefined {
  if (!ctx.wants(i)) return undefined;
  return ctx.b.unbroadcast(signal, ctx.shape(ctx.node.outputs[0]), ctx.shape(ctx.node.inputs[i]));
}

export function isConstant(ctx: BackwardContext, i: number): boolean {
  return !!ctx.constant(ctx.node.inputs[i]);
}

/** LRP for a sum of two input-dependent terms: each gets relevance in proportion to its contribution. */
export function splitRelevance(ctx: BackwardContext, terms: [string, string]): (string | undefined)[] {
  const { b, params } = ctx;
  const eps = ctx.rules.linear === 'epsilon' ? params.eps : b.scalar(TINY);
  const s = b.div(ctx.dy()!, stabilize(b, ctx.node.outputs[0], eps));
  return terms.map((t, i) => toInput(ctx, i, b.mul(t, s)));
}
