/**
 * GroupNormalization: channels split into num_groups groups, each (item, group) normalised over its channels and
 * spatial axes; see normalization.ts. Scale and bias are per group at opset 18–20 and per channel from opset 21
 * (the per-group form did not match PyTorch and was deprecated); their length tells which.
 */
import { getFloat, getInt } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { normBackward } from './normalization';
import type { OpRule } from '../types';

/** A per-group or per-channel vector as a (C, 1, …) per-channel tensor. */
function perChannel(b: GraphBuilder, v: string, len: number, groups: number, shape: number[]): string {
  const channels = shape[1];
  const dims = [channels, ...shape.slice(2).map(() => 1)];
  if (len === channels) return b.reshape(v, dims);
  const expanded = b.op('Expand', [b.reshape(v, [groups, 1]), b.ints([groups, channels / groups], 'shape')]);
  return b.reshape(expanded, dims);
}

export const rule: OpRule = {
  op: 'GroupNormalization',
  backward(ctx) {
    const { b, node } = ctx;
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('scale and bias must not depend on the input');
    const shape = ctx.shape(node.inputs[0]);
    const groups = getInt(node, 'num_groups', 1);
    const channels = shape[1];
    if (channels % groups !== 0) throw ctx.unsupported(`${channels} channels do not split into ${groups} groups`);
    const vec = (i: number) => {
      const len = ctx.shape(node.inputs[i]).reduce((p, d) => p * d, 1);
      if (len !== channels && len !== groups) throw ctx.unsupported(`input ${i} has ${len} values; expected ${groups} (per group) or ${channels} (per channel)`);
      return perChannel(b, node.inputs[i], len, groups, shape);
    };
    const dx = normBackward(ctx, {
      rows: shape[0] * groups,
      M: (channels / groups) * shape.slice(2).reduce((p, d) => p * d, 1),
      epsilon: getFloat(node, 'epsilon', 1e-5),
      scale: vec(1),
      bias: vec(2),
    });
    return [dx];
  },
};
