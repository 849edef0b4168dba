/** Sigmoid: f' = y(1 − y). */
import { smoothActivation } from './shared';

export const rule = smoothActivation('Sigmoid', ({ b, node }) => {
  const y = node.outputs[0];
  return b.mul(y, b.sub(b.scalar(1), y));
});
