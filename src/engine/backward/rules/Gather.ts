/**
 * Gather along an axis (ViT's class token x[:, 0], index lists, Swin's window gathers): a linear selection, so
 * every rule scatters the signal back to the gathered positions (repeats add). The index dimensions of the output
 * are flattened to one axis first; a scalar index (rank drop) is the one-index case.
 */
import { getInt } from '../../ir/graph';
import type { OpRule } from '../types';
import { scatterAlongAxis } from './scatter';
import { axisOf } from './shared';

export const rule: OpRule = {
  op: 'Gather',
  backward(ctx) {
    const { b, node } = ctx;
    const [data, indices] = node.inputs;
    const inShape = ctx.shape(data);
    const axis = axisOf(getInt(node, 'axis', 0), inShape.length);
    const dim = inShape[axis];
    const constant = ctx.constant(indices);
    const n = (constant?.dims ?? ctx.shape(indices)).reduce((p, d) => p * d, 1);
    const flat = b.reshape(ctx.dy()!, [...inShape.slice(0, axis), n, ...inShape.slice(axis + 1)]);
    // Constant indices are normalised here; computed ones (ArgMax, TopK) go to ScatterElements as they are.
    const list = constant ? constant.numbers().map((i) => (i < 0 ? i + dim : i)) : b.reshape(indices, [n]);
    return [scatterAlongAxis(b, flat, axis, list, dim)];
  },
};
