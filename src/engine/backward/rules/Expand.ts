/** Expand: broadcasting, so the signal is summed back over the broadcast axes (the same under LRP). */
import { toInput } from './elementwise';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = { op: 'Expand', traits: { nonNegative: KEEPS_NON_NEGATIVE }, backward: (ctx) => [toInput(ctx, 0, ctx.dy()!)] };
