/** ReduceMean over some axes (PyTorch's mean(dim=(2,3))): spread evenly back, like GlobalAveragePool. */
import { averagingBackward } from './averaging';
import { reductionAxes } from './reduction';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceMean',
  category: 'linear',
  backward: (ctx) => [averagingBackward(ctx, reductionAxes(ctx))],
};
