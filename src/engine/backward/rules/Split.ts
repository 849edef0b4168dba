/** Split: the outputs' signals are concatenated back, with zeros for outputs that receive none. */
import { attr, getInt } from '../../ir/graph';
import { axisOf } from './shared';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Split',
  traits: { nonNegative: KEEPS_NON_NEGATIVE },
  backward(ctx) {
    const { b, node } = ctx;
    const axis = axisOf(getInt(node, 'axis', 0), ctx.shape(node.inputs[0]).length);
    const parts = node.outputs.map((o, i) => ctx.dy(i) ?? b.zeros(ctx.shape(o)));
    return [parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis: attr.i(axis) })];
  },
};
