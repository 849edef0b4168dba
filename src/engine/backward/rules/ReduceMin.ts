/** ReduceMin: winner-takes-all to the arg-min in every mode, ties split equally. */
import { winnerBackward } from './reduction';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = { op: 'ReduceMin', traits: { nonNegative: KEEPS_NON_NEGATIVE }, backward: (ctx) => [winnerBackward(ctx)] };
