/** Slice with unit steps: the signal is zero-padded back to the input's extent. */
import type { OpRule } from '../types';
import { axisOf } from './shared';

export const rule: OpRule = {
  op: 'Slice',
  category: 'structural',
  backward(ctx) {
    const { b, node } = ctx;
    const inShape = ctx.shape(node.inputs[0]);
    const rank = inShape.length;
    const values = (i: number) => {
      if (!node.inputs[i]) return undefined;
      const t = ctx.constant(node.inputs[i]);
      if (!t) throw ctx.unsupported('starts/ends/axes/steps must be constants');
      return t.numbers();
    };
    const starts = values(1)!;
    const ends = values(2)!;
    const axes = values(3) ?? starts.map((_, i) => i);
    const steps = values(4) ?? starts.map(() => 1);
    if (steps.some((s) => s !== 1)) throw ctx.unsupported('slices with steps other than 1 are not supported');
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      const axis = axisOf(a, rank);
      const dim = inShape[axis];
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const start = clamp(starts[i]);
      const end = Math.max(clamp(ends[i]), start);
      pads[axis] = start;
      pads[axis + rank] = dim - end;
    });
    return [b.op('Pad', [ctx.dy()!, b.ints(pads, 'pads')])];
  },
};
