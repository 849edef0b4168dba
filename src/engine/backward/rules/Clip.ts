/**
 * Clip: f'(x) = 1[min < x < max], read off the output. It is ReLU-like (deconvnet/guided rules) only with min = 0
 * (ReLU, ReLU6); any other Clip is a guard such as F.normalize's clamp(min=1e-12) and keeps its plain gradient in
 * every mode, as the reference implementations change only ReLU modules. LRP passes relevance through either way.
 */
import { getFloat } from '../../ir/graph';
import type { BackwardContext, OpRule } from '../types';
import { constScalar, reluLike, smoothActivation } from './shared';

function bounds(ctx: BackwardContext): { min?: number; max?: number } {
  const { node } = ctx;
  const min = node.inputs.length > 1 ? constScalar(ctx, 1) : getFloat(node, 'min', -3.4e38);
  const max = node.inputs.length > 2 ? constScalar(ctx, 2) : getFloat(node, 'max', 3.4e38);
  if ((node.inputs[1] && min === undefined) || (node.inputs[2] && max === undefined)) {
    throw ctx.unsupported('min/max must be constants');
  }
  return { min, max };
}

function slope(ctx: BackwardContext): string {
  const { b, node } = ctx;
  const y = node.outputs[0];
  const { min, max } = bounds(ctx);
  let m: string | undefined;
  if (min !== undefined && min > -3.4e38) m = b.mask('Greater', y, b.scalar(min));
  if (max !== undefined && max < 3.4e38) {
    const upper = b.mask('Less', y, b.scalar(max));
    m = m ? b.mul(m, upper) : upper;
  }
  // Without bounds Clip is the identity.
  return m ?? b.scalar(1);
}

const asRelu = reluLike('Clip', slope);
const asGuard = smoothActivation('Clip', slope);

export const rule: OpRule = {
  op: 'Clip',
  // ≥ 0 when the lower bound is a constant ≥ 0.
  traits: { nonNegative: (n, nonNeg) => !!n.inputs[1] && nonNeg(n.inputs[1]) },
  backward: (ctx) => (bounds(ctx).min === 0 ? asRelu : asGuard).backward(ctx),
};
