/** Padding, output sizes and transposed-convolution geometry shared by Conv, ConvTranspose-style and pool rules. */
import { getInts, getString, type Node } from '../../ir/graph';

export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads, one per spatial axis (ONNX order). */
  pads: number[];
}

/** Resolves auto_pad into explicit pads for the given input and output spatial sizes. */
export function windowGeometry(node: Node, inSpatial: number[], outSpatial: number[], kernel: number[]): WindowGeometry {
  const r = inSpatial.length;
  const strides = getInts(node, 'strides') ?? Array(r).fill(1);
  const dilations = getInts(node, 'dilations') ?? Array(r).fill(1);
  let pads = getInts(node, 'pads') ?? Array(2 * r).fill(0);
  const autoPad = getString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const total = Math.max(0, (outSpatial[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSpatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i];
    }
  } else if (autoPad === 'VALID') {
    pads = Array(2 * r).fill(0);
  }
  return { kernel, strides, dilations, pads };
}

/**
 * output_padding that makes a transposed window op map the output size back to the input size; where it would
 * reach the stride (inputs a strided window never reads), the remainder is returned as extra end padding. A
 * negative `extra` (ceil_mode pools, whose last window runs past the input) is that much to crop from the end.
 */
export function transposePadding(geo: WindowGeometry, inSpatial: number[], outSpatial: number[]) {
  const r = inSpatial.length;
  const outputPadding: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < r; i++) {
    const produced = geo.strides[i] * (outSpatial[i] - 1) + (geo.kernel[i] - 1) * geo.dilations[i] + 1 - geo.pads[i] - geo.pads[i + r];
    let op = inSpatial[i] - produced;
    let more = 0;
    const limit = Math.max(geo.strides[i], geo.dilations[i]) - 1;
    if (op > limit) {
      more = op - limit;
      op = limit;
    }
    if (op < 0) {
      more = op;
      op = 0;
    }
    outputPadding.push(op);
    extra.push(more);
  }
  return { outputPadding, extra };
}
