/**
 * MaxPool routes the signal to each window's argmax (the deconvnet "switches"; also LRP's winner-takes-all):
 * the forward node gets its Indices output, and a ScatterElements with add-reduction sums overlapping windows.
 */
import { attr, getInt } from '../../ir/graph';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'MaxPool',
  category: 'structural',
  backward(ctx) {
    const { b, node } = ctx;
    if (getInt(node, 'storage_order', 0) !== 0) throw ctx.unsupported('column-major storage_order is not supported');
    if (!node.outputs[1]) {
      node.outputs[1] = b.fresh('maxpool_indices');
      b.setShape(node.outputs[1], ctx.shape(node.outputs[0]));
    }
    const inShape = ctx.shape(node.inputs[0]);
    const total = inShape.reduce((p, d) => p * d, 1);
    const flatSignal = b.reshape(ctx.dy()!, [-1]);
    const flatIndices = b.reshape(node.outputs[1], [-1]);
    const scattered = b.op('ScatterElements', [b.zeros([total]), flatIndices, flatSignal], {
      axis: attr.i(0), reduction: attr.s('add'),
    });
    return [b.reshape(scattered, inShape)];
  },
};
