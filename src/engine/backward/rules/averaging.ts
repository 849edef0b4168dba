/** Means over some axes (GlobalAveragePool, ReduceMean): the transpose spreads each signal evenly back. */
import type { BackwardContext } from '../types';
import { uniformSumBackward } from './reduction';

export function averagingBackward(ctx: BackwardContext, reducedAxes: number[]): string {
  const shape = ctx.shape(ctx.node.inputs[0]);
  return uniformSumBackward(ctx, reducedAxes, 1 / reducedAxes.reduce((p, a) => p * shape[a], 1));
}
