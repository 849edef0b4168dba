/** ReduceMax: winner-takes-all to the arg-max in every mode (like MaxPool), ties split equally. */
import { winnerBackward } from './reduction';
import type { OpRule } from '../types';

export const rule: OpRule = { op: 'ReduceMax', category: 'structural', backward: (ctx) => [winnerBackward(ctx)] };
