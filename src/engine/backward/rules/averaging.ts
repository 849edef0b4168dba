/** Means over some axes (GlobalAveragePool, ReduceMean): the transpose spreads each signal evenly back. */
import { linearBackward, type LinearMap } from '../lrp';
import type { BackwardContext } from '../types';

export function averagingBackward(ctx: BackwardContext, reducedAxes: number[]): string {
  const { b, node } = ctx;
  const x = node.inputs[0];
  const shape = ctx.shape(x);
  const keptShape = shape.map((d, i) => (reducedAxes.includes(i) ? 1 : d));
  const count = reducedAxes.reduce((p, a) => p * shape[a], 1);
  const map: LinearMap = {
    // All weights are 1/count ≥ 0: the LRP rules only ever need the node's own output, never a re-run forward.
    signed: false,
    forward: () => node.outputs[0],
    transpose: (s) => b.op('Expand', [b.reshape(b.mul(s, b.scalar(1 / count)), keptShape), b.ints(shape, 'shape')]),
  };
  return linearBackward(ctx, map, x, node.outputs[0]);
}
