/** ReduceMax: winner-takes-all to the arg-max in every mode (like MaxPool), ties split equally. */
import { winnerBackward } from './reduction';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = { op: 'ReduceMax', traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'global' }, backward: (ctx) => [winnerBackward(ctx)] };
