/** HardSwish y = x·clip(x/6 + 1/2, 0, 1): f' = 0 below −3, 1 above 3, x/3 + 1/2 between. */
import { smoothActivation } from './shared';

export const rule = smoothActivation('HardSwish', ({ b, node }) => {
  const x = node.inputs[0];
  const inside = b.mul(b.mask('Greater', x, b.scalar(-3)), b.mask('Less', x, b.scalar(3)));
  const above = b.mask('Greater', x, b.scalar(3));
  return b.add(b.mul(inside, b.add(b.mul(x, b.scalar(1 / 3)), b.scalar(0.5))), above);
});
