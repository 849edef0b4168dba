/**
 * Slice with constant starts/ends/axes/steps (any step, negative too): a selection, so the signal goes back to the
 * positions it was taken from (a zero Pad for unit steps, a scatter otherwise), the same under every rule.
 */
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';
import { scatterAlongAxis } from './scatter';
import { axisOf } from './shared';

/** The input positions one axis of a Slice takes, in output order (ONNX Slice-13 clamping). */
export function sliceIndices(start: number, end: number, step: number, dim: number): number[] {
  if (step === 0) throw new Error('slice step 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

export const rule: OpRule = {
  op: 'Slice',
  traits: { nonNegative: KEEPS_NON_NEGATIVE },
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
    if (steps.some((s) => s === 0)) throw ctx.unsupported('a step of 0 is invalid');
    let signal = b.setShape(ctx.dy()!, ctx.shape(node.outputs[0]));
    axes.forEach((a, i) => {
      const axis = axisOf(a, rank);
      signal = scatterAlongAxis(b, signal, axis, sliceIndices(starts[i], ends[i], steps[i], inShape[axis]), inShape[axis]);
    });
    return [signal];
  },
};
