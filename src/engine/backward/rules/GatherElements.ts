/**
 * GatherElements (take_along_axis): a linear selection, so every rule scatters the signal back with
 * ScatterElements(add), whose index semantics (including negative indices) are GatherElements' own.
 */
import { attr, getInt } from '../../ir/graph';
import { ConstTensor } from '../../ir/tensor';
import type { OpRule } from '../types';
import { axisOf } from './shared';

export const rule: OpRule = {
  op: 'GatherElements',
  backward(ctx) {
    const { b, node } = ctx;
    const [data, indices] = node.inputs;
    const inShape = ctx.shape(data);
    const axis = axisOf(getInt(node, 'axis', 0), inShape.length);
    const constant = ctx.constant(indices);
    const idx = constant
      ? b.constant(ConstTensor.int64(constant.dims, constant.numbers().map((i) => (i < 0 ? i + inShape[axis] : i))), 'gather_indices')
      : indices;
    return [b.op('ScatterElements', [b.zeros(inShape), idx, ctx.dy()!], { axis: attr.i(axis), reduction: attr.s('add') })];
  },
};
