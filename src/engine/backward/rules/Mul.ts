/**
 * Mul. Gradient: the product rule. LRP: scaling by a constant keeps relevance; a gated product (SiLU x·σ(x),
 * squeeze-excitation x·σ(s), HardSwish as x·hardsigmoid(x)) gives all relevance to the gated signal, none to the gate.
 */
import { isConstant, toInput } from './elementwise';
import type { BackwardContext, OpRule } from '../types';

const GATES = new Set(['Sigmoid', 'HardSigmoid']);

function lrpTarget(ctx: BackwardContext): number {
  const [a, c] = ctx.node.inputs;
  if (isConstant(ctx, 1)) return 0;
  if (isConstant(ctx, 0)) return 1;
  const gateA = GATES.has(ctx.producerOp(a) ?? '');
  const gateC = GATES.has(ctx.producerOp(c) ?? '');
  if (gateC && !gateA) return 0;
  if (gateA && !gateC) return 1;
  throw ctx.unsupported('LRP through a product of two input-dependent tensors needs one of them to be a sigmoid gate');
}

export const rule: OpRule = {
  op: 'Mul',
  category: 'linear',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) {
      const keep = lrpTarget(ctx);
      return keep === 0 ? [toInput(ctx, 0, dy), undefined] : [undefined, toInput(ctx, 1, dy)];
    }
    const [a, c] = node.inputs;
    return [
      ctx.wants(0) ? toInput(ctx, 0, b.mul(dy, c)) : undefined,
      ctx.wants(1) ? toInput(ctx, 1, b.mul(dy, a)) : undefined,
    ];
  },
};
