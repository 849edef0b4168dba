/** ReduceMean over some axes (PyTorch's mean(dim=(2,3))): spread evenly back, like GlobalAveragePool. */
import { averagingBackward } from './averaging';
import { reductionAxes } from './reduction';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceMean',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' },
  backward: (ctx) => [averagingBackward(ctx, reductionAxes(ctx))],
};
