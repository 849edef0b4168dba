/** Expand: broadcasting, so the signal is summed back over the broadcast axes (the same under LRP). */
import { toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = { op: 'Expand', category: 'structural', backward: (ctx) => [toInput(ctx, 0, ctx.dy()!)] };
