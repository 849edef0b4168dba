/** Clip (ReLU6 when min = 0, max = 6): f'(x) = 1[min < x < max], read off the output. */
import { getFloat } from '../../ir/graph';
import { constScalar, reluLike } from './shared';

export const rule = reluLike('Clip', (ctx) => {
  const { b, node } = ctx;
  const y = node.outputs[0];
  const min = node.inputs.length > 1 ? constScalar(ctx, 1) : getFloat(node, 'min', -3.4e38);
  const max = node.inputs.length > 2 ? constScalar(ctx, 2) : getFloat(node, 'max', 3.4e38);
  if ((node.inputs[1] && min === undefined) || (node.inputs[2] && max === undefined)) {
    throw ctx.unsupported('min/max must be constants');
  }
  let m: string | undefined;
  if (min !== undefined && min > -3.4e38) m = b.mask('Greater', y, b.scalar(min));
  if (max !== undefined && max < 3.4e38) {
    const upper = b.mask('Less', y, b.scalar(max));
    m = m ? b.mul(m, upper) : upper;
  }
  // Without bounds Clip is the identity.
  return m ?? b.scalar(1);
});
