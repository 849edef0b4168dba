/** PRelu: f'(x) = 1 for x > 0, else the (broadcast) learned slope. */
import { reluLike } from './shared';

export const rule = reluLike('PRelu', (ctx) => {
  const { b, node } = ctx;
  const [x, slope] = node.inputs;
  if (ctx.wants(1)) throw ctx.unsupported('a slope computed from the input is not supported');
  const positive = b.mask('Greater', x, b.scalar(0));
  // positive + (1 − positive)·slope
  return b.add(positive, b.mul(b.sub(b.scalar(1), positive), slope));
});
