/** ReduceSum: a linear map with unit weights; its transpose broadcasts the signal back (LRP as for pools). */
import { reductionAxes, uniformSumBackward } from './reduction';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceSum',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' },
  backward: (ctx) => [uniformSumBackward(ctx, reductionAxes(ctx), 1)],
};
