/** HardSigmoid y = clip(αx + β, 0, 1): f' = α·1[0 < y < 1]. */
import { getFloat } from '../../ir/graph';
import { smoothActivation } from './shared';

export const rule = smoothActivation('HardSigmoid', ({ b, node }) => {
  const y = node.outputs[0];
  const alpha = getFloat(node, 'alpha', 0.2);
  const inside = b.mul(b.mask('Greater', y, b.scalar(0)), b.mask('Less', y, b.scalar(1)));
  return b.mul(inside, b.scalar(alpha));
});
