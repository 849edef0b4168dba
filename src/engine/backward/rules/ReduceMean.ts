/** ReduceMean over some axes (PyTorch's mean(dim=(2,3))): spread evenly back, like GlobalAveragePool. */
import { getInt, getInts } from '../../ir/graph';
import { averagingBackward } from './averaging';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceMean',
  category: 'linear',
  backward(ctx) {
    const { node } = ctx;
    const x = node.inputs[0];
    const shape = ctx.shape(x);
    const rank = shape.length;
    let axes = getInts(node, 'axes');
    if (node.inputs[1]) {
      const t = ctx.constant(node.inputs[1]);
      if (!t) throw ctx.unsupported('axes must be a constant');
      axes = t.numbers();
    }
    const all = !axes || axes.length === 0;
    if (all && getInt(node, 'noop_with_empty_axes', 0)) return [ctx.dy()];
    const reduced = all ? shape.map((_, i) => i) : axes!.map((a) => (a < 0 ? a + rank : a));
    return [averagingBackward(ctx, reduced)];
  },
};
