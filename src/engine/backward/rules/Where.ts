/** Where(c, X, Y): the signal goes to X where c holds and to Y elsewhere (summed back over broadcasting), none to c. */
import { attr } from '../../ir/graph';
import { DataType } from '../../ir/tensor';
import { toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Where',
  traits: { nonNegative: (n, nonNeg) => n.inputs.slice(1).every(nonNeg) },
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    const m = b.op('Cast', [node.inputs[0]], { to: attr.i(DataType.FLOAT) });
    return [
      undefined,
      ctx.wants(1) ? toInput(ctx, 1, b.mul(dy, m)) : undefined,
      ctx.wants(2) ? toInput(ctx, 2, b.mul(dy, b.sub(b.scalar(1), m))) : undefined,
    ];
  },
};
