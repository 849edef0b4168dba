/**
 * The adjoint of taking entries along one axis (Gather, strided Slice, reflect/edge/wrap Pad, nearest Resize):
 * each slice of the signal is added back at the position it was taken from, into zeros.
 */
import { attr } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { ConstTensor } from '../../ir/tensor';

/**
 * Adjoint of y = take(x, indices, axis) with x's `axis` of length `dim`: `signal` is shaped like y (one entry
 * per index along `axis`); repeated indices add up. `indices` is a constant list (already in [0, dim)) or an
 * integer tensor of shape [n] (negative values allowed, as in Gather). A contiguous ascending run is a zero Pad;
 * anything else is one ScatterElements(add), its indices broadcast by Expand at run time rather than stored at
 * the signal's full size. The signal's static shape must be known (set it on the rule's incoming signal).
 */
export function scatterAlongAxis(b: GraphBuilder, signal: string, axis: number, indices: number[] | string, dim: number): string {
  const shape = b.shapeOf(signal);
  const n = shape[axis];
  const outShape = shape.map((d, i) => (i === axis ? dim : d));
  if (n === 0 || outShape.some((d) => d === 0)) return b.zeros(outShape);
  if (typeof indices !== 'string' && indices.every((v, i) => v === indices[0] + i)) {
    if (indices[0] === 0 && n === dim) return signal;
    const pads = new Array<number>(2 * shape.length).fill(0);
    pads[axis] = indices[0];
    pads[axis + shape.length] = dim - indices[0] - n;
    return b.setShape(b.op('Pad', [signal, b.ints(pads, 'pads')]), outShape);
  }
  const column = shape.map((d, i) => (i === axis ? n : 1));
  const idx = typeof indices === 'string' ? b.reshape(indices, column) : b.constant(ConstTensor.int64(column, indices), 'take_indices');
  const full = b.op('Expand', [idx, b.ints(shape, 'shape')]);
  const out = b.op('ScatterElements', [b.zeros(outShape), full, signal], { axis: attr.i(axis), reduction: attr.s('add') });
  return b.setShape(out, outShape);
}
