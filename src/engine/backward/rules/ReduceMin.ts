/** ReduceMin: winner-takes-all to the arg-min in every mode, ties split equally. */
import { winnerBackward } from './reduction';
import type { OpRule } from '../types';

export const rule: OpRule = { op: 'ReduceMin', category: 'structural', backward: (ctx) => [winnerBackward(ctx)] };
