/**
 * Mul. Gradient: the product rule. LRP: scaling by a constant keeps relevance; a gated product (SiLU x·σ(x),
 * GELU x·Φ(x), squeeze-excitation x·σ(s), HardSwish as x·hardsigmoid(x); see gating.ts) gives all relevance to the
 * gated signal, none to the gate; any other product of two input-dependent tensors takes AttnLRP's uniform rule
 * (Achtibat et al. 2024, Prop. 3.2): each factor gets half.
 */
import { gatedSignal } from './gating';
import { toInput } from './elementwise';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Mul',
  backward(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy()!;
    if (ctx.lrp) {
      // A factor that does not depend on the input (a constant, or computed from constants) acts as a scale.
      const keep = !ctx.wants(1) ? 0 : !ctx.wants(0) ? 1 : gatedSignal(ctx);
      if (keep === 0) return [toInput(ctx, 0, dy), undefined];
      if (keep === 1) return [undefined, toInput(ctx, 1, dy)];
      const half = b.mul(dy, b.scalar(0.5));
      return [toInput(ctx, 0, half), toInput(ctx, 1, half)];
    }
    const [a, c] = node.inputs;
    return [
      ctx.wants(0) ? toInput(ctx, 0, b.mul(dy, c)) : undefined,
      ctx.wants(1) ? toInput(ctx, 1, b.mul(dy, a)) : undefined,
    ];
  },
};
