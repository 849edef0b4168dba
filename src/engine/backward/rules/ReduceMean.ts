/** ReduceMean over some axes (PyTorch's mean(dim=(2,3))): spread evenly back, like GlobalAveragePool. */
import { getInt, getInts } from '../../ir/graph';
import { linearBackward, type LinearMap } from '../lrp';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'ReduceMean',
  category: 'linear',
  backward(ctx) {
    const { b, node } = ctx;
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
    const reduced = (all ? shape.map((_, i) => i) : axes!.map((a) => (a < 0 ? a + rank : a)));
    const keptShape = shape.map((d, i) => (reduced.includes(i) ? 1 : d));
    const count = reduced.reduce((p, a) => p * shape[a], 1);
    const map: LinearMap = {
      signed: false,
      forward: () => node.outputs[0],
      transpose: (s) => b.op('Expand', [b.reshape(b.mul(s, b.scalar(1 / count)), keptShape), b.ints(shape, 'shape')]),
    };
    return [linearBackward(ctx, map, x, node.outputs[0])];
  },
};
