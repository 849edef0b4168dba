/** What the Reduce* rules share: which axes a node reduces, and broadcasting reduced tensors back over them. */
import { getInt, getInts } from '../../ir/graph';
import { linearBackward, type LinearMap } from '../lrp';
import type { BackwardContext } from '../types';
import { axisOf } from './shared';

/**
 * The reduced axes, sorted: the `axes` attribute (before opset 18; 13 for ReduceSum) or constant input, all axes
 * when none are given, and none with noop_with_empty_axes (each output is then f of one element: x, |x|, x², …).
 */
export function reductionAxes(ctx: BackwardContext): number[] {
  const { node } = ctx;
  const rank = ctx.shape(node.inputs[0]).length;
  let axes = getInts(node, 'axes');
  if (node.inputs[1]) {
    const t = ctx.constant(node.inputs[1]);
    if (!t) throw ctx.unsupported('axes must be a constant');
    axes = t.numbers();
  }
  if (!axes || axes.length === 0) return getInt(node, 'noop_with_empty_axes', 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => axisOf(a, rank)))].sort((a, b) => a - b);
}

/** A tensor of the node's output shape (keepdims 0 or 1) reshaped so it broadcasts against the input. */
export function kept(ctx: BackwardContext, t: string, axes: number[]): string {
  const shape = ctx.shape(ctx.node.inputs[0]).map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = ctx.shape(ctx.node.outputs[0]);
  const same = outShape.length === shape.length && outShape.every((d, i) => d === shape[i]);
  return same ? t : ctx.b.reshape(t, shape);
}

/** Σ over axes with every weight equal to `weight` > 0 (ReduceSum, means): linear, LRP as for pools. */
export function uniformSumBackward(ctx: BackwardContext, axes: number[], weight: number): string {
  const { b, node } = ctx;
  const [x] = node.inputs;
  const shape = ctx.shape(x);
  const map: LinearMap = {
    // All weights are positive: the LRP rules only ever need the node's own output, never a re-run forward.
    signed: false,
    forward: () => node.outputs[0],
    transpose: (s) => b.op('Expand', [kept(ctx, weight === 1 ? s : b.mul(s, b.scalar(weight)), axes), b.ints(shape, 'shape')]),
  };
  return linearBackward(ctx, map, x, node.outputs[0]);
}

/** ReduceMax / ReduceMin: the signal goes to the elements equal to the result, split equally among ties. */
export function winnerBackward(ctx: BackwardContext): string {
  const { b, node } = ctx;
  const axes = reductionAxes(ctx);
  const winners = b.mask('Equal', node.inputs[0], kept(ctx, node.outputs[0], axes));
  const dy = kept(ctx, ctx.dy()!, axes);
  if (axes.length === 0) return b.mul(winners, dy);
  return b.mul(winners, b.div(dy, b.reduce('ReduceSum', winners, axes, true)));
}

/**
 * LRP through h(Σ g(x)) with g ≥ 0 and h monotone (ReduceL2, ReduceSumSquare): h passes relevance unchanged and
 * the sum splits it in proportion to the terms, R_i = g(x_i) / (Σ g + ε) · R (ε: the LRP-ε parameter, else tiny).
 */
export function shareByTerms(ctx: BackwardContext, axes: number[], terms: string, total: string): string {
  const { b } = ctx;
  const eps = ctx.stabilizer();
  return b.mul(terms, kept(ctx, b.div(ctx.dy()!, b.add(total, eps)), axes));
}
