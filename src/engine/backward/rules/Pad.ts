/**
 * Pad in every mode, negative pads (cropping) included. Constant padding's adjoint is the opposite Pad (crop what
 * was added, zero-fill what was cropped). Reflect, edge and wrap take each output position from one input position
 * per axis (onnxruntime crops negative pads first, then pads the cropped tensor), so their adjoint scatters the
 * signal back along each padded axis; border values read several times collect several signals.
 */
import { getInts, getString } from '../../ir/graph';
import type { OpRule } from '../types';
import { scatterAlongAxis } from './scatter';

/** Input position of each output position along one axis, for the non-constant modes. */
export function padSources(mode: string, dim: number, begin: number, end: number): number[] {
  const first = Math.max(0, -begin);
  const n = dim - first - Math.max(0, -end);
  const before = Math.max(0, begin);
  const length = n + before + Math.max(0, end);
  return Array.from({ length }, (_, j) => {
    const k = j - before;
    let src: number;
    if (mode === 'edge') src = Math.min(Math.max(k, 0), n - 1);
    else if (mode === 'wrap') src = ((k % n) + n) % n;
    else {
      // reflect without repeating the border: period 2(n − 1)
      const period = 2 * (n - 1);
      const m = period === 0 ? 0 : ((k % period) + period) % period;
      src = m < n ? m : period - m;
    }
    return first + src;
  });
}

export const rule: OpRule = {
  op: 'Pad',
  traits: {
    // A Pad keeps non-negativity only with a non-negative fill value (a constant; 0 when absent).
    nonNegative: (n, nonNeg) => nonNeg(n.inputs[0]) && (!n.inputs[2] || nonNeg(n.inputs[2])),
    field: 'pad',
  },
  backward(ctx) {
    const { b, node } = ctx;
    const mode = getString(node, 'mode', 'constant');
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) throw ctx.unsupported(`mode '${mode}' is not supported`);
    const inShape = ctx.shape(node.inputs[0]);
    const rank = inShape.length;
    let pads: number[];
    if (node.inputs[1]) {
      const t = ctx.constant(node.inputs[1]);
      if (!t) throw ctx.unsupported('pads must be a constant');
      pads = t.numbers();
    } else {
      pads = getInts(node, 'pads') ?? [];
    }
    let axes = Array.from({ length: rank }, (_, i) => i);
    if (node.inputs[3]) {
      const t = ctx.constant(node.inputs[3]);
      if (!t) throw ctx.unsupported('axes must be a constant');
      axes = t.numbers().map((a) => (a < 0 ? a + rank : a));
    }
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i];
      full[a + rank] = pads[i + axes.length];
    });
    const dy = ctx.dy()!;
    if (mode === 'constant') return [b.op('Pad', [dy, b.ints(full.map((p) => -p), 'pads')])];
    let signal = b.setShape(dy, ctx.shape(node.outputs[0]));
    for (let a = 0; a < rank; a++) {
      if (full[a] === 0 && full[a + rank] === 0) continue;
      const kept = inShape[a] - Math.max(0, -full[a]) - Math.max(0, -full[a + rank]);
      // onnxruntime 1.30 leaves the first (pad − length) positions of such a wrap unwrapped (zeros), not a copy.
      if (mode === 'wrap' && full[a] > kept) throw ctx.unsupported(`a wrap pad longer than the axis (${full[a]} > ${kept}) at the start of axis ${a}`);
      signal = scatterAlongAxis(b, signal, a, padSources(mode, inShape[a], full[a], full[a + rank]), inShape[a]);
    }
    return [signal];
  },
};
