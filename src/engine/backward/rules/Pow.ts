/**
 * Pow y = x^p with broadcasting. Gradient: δ·p·x^(p−1) for the base, δ·y·ln x for an input-dependent exponent.
 * LRP: the identity for the base (an elementwise nonlinearity); none to the exponent unless the base is constant.
 */
import { attr } from '../../ir/graph';
import { ConstTensor, DataType } from '../../ir/tensor';
import { toInput } from './elementwise';
import type { BackwardContext, OpRule } from '../types';

/** p and p − 1 as float tensors: folded for a constant exponent (often int64 in exports), cast otherwise. */
function exponent(ctx: BackwardContext): [string, string] {
  const { b, node } = ctx;
  const p = node.inputs[1];
  const t = ctx.constant(p);
  if (t && t.size === 1) return [b.scalar(t.numbers()[0]), b.scalar(t.numbers()[0] - 1)];
  if (t) {
    const v = t.numbers();
    return [b.constant(ConstTensor.float32(t.dims, v), 'pow_p'), b.constant(ConstTensor.float32(t.dims, v.map((e) => e - 1)), 'pow_p1')];
  }
  const pf = b.op('Cast', [p], { to: attr.i(DataType.FLOAT) });
  return [pf, b.sub(pf, b.scalar(1))];
}

export const rule: OpRule = {
  op: 'Pow',
  backward(ctx) {
    const { b, node } = ctx;
    const [x] = node.inputs;
    const dy = ctx.dy()!;
    if (ctx.lrp) return ctx.wants(0) ? [toInput(ctx, 0, dy), undefined] : [undefined, toInput(ctx, 1, dy)];
    let dx: string | undefined;
    if (ctx.wants(0)) {
      const [p, pm1] = exponent(ctx);
      dx = toInput(ctx, 0, b.mul(dy, b.mul(p, b.op('Pow', [x, pm1]))));
    }
    const dp = ctx.wants(1) ? toInput(ctx, 1, b.mul(dy, b.mul(node.outputs[0], b.op('Log', [x])))) : undefined;
    return [dx, dp];
  },
};
