/**
 * MaxPool routes the signal to each window's argmax (the deconvnet "switches"; also LRP's winner-takes-all).
 * A second MaxPool with the Indices output feeds a ScatterElements with add-reduction (overlapping windows sum).
 * The forward node stays untouched, so the forward pass keeps onnxruntime's fast pooling kernel (one with
 * Indices is the slow generic one) and computes exactly what the plain model computes.
 */
import { attr, getInt } from '../../ir/graph';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'MaxPool',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'window' },
  backward(ctx) {
    const { b, node } = ctx;
    if (getInt(node, 'storage_order', 0) !== 0) throw ctx.unsupported('column-major storage_order is not supported');
    const indices = b.memo(`maxpool-indices|${node.name}`, () => {
      const [, idx] = b.node('MaxPool', [node.inputs[0]], Object.fromEntries(node.attrs), 2, 'maxpool_switches');
      return idx;
    });
    const inShape = ctx.shape(node.inputs[0]);
    const total = inShape.reduce((p, d) => p * d, 1);
    const flatSignal = b.reshape(ctx.dy()!, [-1]);
    const flatIndices = b.reshape(indices, [-1]);
    const scattered = b.op('ScatterElements', [b.zeros([total]), flatIndices, flatSignal], {
      axis: attr.i(0), reduction: attr.s('add'),
    });
    return [b.reshape(scattered, inShape)];
  },
};
