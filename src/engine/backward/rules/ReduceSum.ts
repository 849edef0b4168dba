/** ReduceSum: a linear map with unit weights; its transpose broadcasts the signal back (LRP as for pools). */
import { reductionAxes, uniformSumBackward } from './reduction';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceSum',
  category: 'linear',
  backward: (ctx) => [uniformSumBackward(ctx, reductionAxes(ctx), 1)],
};
