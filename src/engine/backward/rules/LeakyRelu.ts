/** LeakyRelu: f'(x) = 1 for x > 0, else the slope α (x > 0 ⇔ y > 0 for α > 0). */
import { getFloat } from '../../ir/graph';
import { reluLike } from './shared';

export const rule = reluLike('LeakyRelu', (ctx) => {
  const { b, node } = ctx;
  const alpha = getFloat(node, 'alpha', 0.01);
  const positive = b.mask('Greater', node.inputs[0], b.scalar(0));
  return b.add(b.mul(positive, b.scalar(1 - alpha)), b.scalar(alpha));
});
