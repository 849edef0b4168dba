/** Tanh: f' = 1 − y². */
import { smoothActivation } from './shared';

export const rule = smoothActivation('Tanh', ({ b, node }) => {
  const y = node.outputs[0];
  return b.sub(b.scalar(1), b.mul(y, y));
});
