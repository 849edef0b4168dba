/**
 * Tile: the signal is summed over the copies. The repeats come from the static shapes, so the output signal is
 * viewed as [r0, d0, r1, d1, …] and ReduceSum removes the r axes (the same under LRP: copies conserve relevance).
 */
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';

export const rule: OpRule = {
  op: 'Tile',
  traits: { nonNegative: KEEPS_NON_NEGATIVE },
  backward(ctx) {
    const { b, node } = ctx;
    const inShape = ctx.shape(node.inputs[0]);
    const outShape = ctx.shape(node.outputs[0]);
    const repeats = outShape.map((d, i) => d / inShape[i]);
    const dy = ctx.dy()!;
    if (repeats.every((r) => r === 1)) return [dy];
    const copies = b.reshape(dy, inShape.flatMap((d, i) => [repeats[i], d]));
    return [b.reduce('ReduceSum', copies, inShape.map((_, i) => 2 * i), false)];
  },
};
