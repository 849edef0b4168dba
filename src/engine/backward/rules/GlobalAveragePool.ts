/** GlobalAveragePool: its transpose spreads each channel's signal evenly over the spatial positions. */
import { averagingBackward } from './averaging';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'GlobalAveragePool',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' },
  backward: (ctx) => [averagingBackward(ctx, ctx.shape(ctx.node.inputs[0]).map((_, i) => i).slice(2))],
};
