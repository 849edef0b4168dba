/** Pad (constant mode, non-negative pads): the signal is sliced back to the unpadded region. */
import { getInts, getString } from '../../ir/graph';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Pad',
  category: 'structural',
  backward(ctx) {
    const { b, node } = ctx;
    const mode = getString(node, 'mode', 'constant');
    if (mode !== 'constant') throw ctx.unsupported(`mode '${mode}' is not supported (only constant padding)`);
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
    if (pads.some((p) => p < 0)) throw ctx.unsupported('negative pads (cropping) are not supported');
    const starts = axes.map((_, i) => pads[i]);
    const ends = axes.map((a, i) => pads[i] + inShape[a]);
    return [b.op('Slice', [ctx.dy()!, b.ints(starts), b.ints(ends), b.ints(axes)])];
  },
};
