/**
 * AveragePool: a linear map with positive weights 1/count. Its transpose divides the signal by each window's count
 * and spreads it with a depthwise ConvTranspose of ones.
 */
import { attr, getInt } from '../../ir/graph';
import { ConstTensor } from '../../ir/tensor';
import { linearBackward, type LinearMap } from '../lrp';
import { KEEPS_NON_NEGATIVE, type OpRule } from '../types';
import { transposePadding, windowGeometry, type WindowGeometry } from './conv-geometry';

/** Elements each output window averages over, as a [1, 1, ...out] tensor. */
function windowCounts(geo: WindowGeometry, inSpatial: number[], outSpatial: number[], includePad: boolean): ConstTensor {
  const r = inSpatial.length;
  const perAxis = outSpatial.map((o, axis) => {
    const lo = includePad ? -geo.pads[axis] : 0;
    const hi = includePad ? inSpatial[axis] + geo.pads[axis + r] : inSpatial[axis];
    return Array.from({ length: o }, (_, i) => {
      let n = 0;
      for (let k = 0; k < geo.kernel[axis]; k++) {
        const pos = i * geo.strides[axis] - geo.pads[axis] + k * geo.dilations[axis];
        if (pos >= lo && pos < hi) n++;
      }
      return n;
    });
  });
  const total = outSpatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let count = 1;
    for (let axis = r - 1; axis >= 0; axis--) {
      count *= perAxis[axis][rest % outSpatial[axis]];
      rest = Math.floor(rest / outSpatial[axis]);
    }
    data[flat] = count;
  }
  return ConstTensor.float32([1, 1, ...outSpatial], data);
}

export const rule: OpRule = {
  op: 'AveragePool',
  traits: { nonNegative: KEEPS_NON_NEGATIVE, field: 'window' },
  backward(ctx) {
    const { b, node } = ctx;
    const x = node.inputs[0];
    const y = node.outputs[0];
    const inShape = ctx.shape(x);
    const inSpatial = inShape.slice(2);
    const outSpatial = ctx.shape(y).slice(2);
    const kernel = node.attrs.get('kernel_shape');
    if (!kernel || kernel.kind !== 'ints') throw ctx.unsupported('kernel_shape is required');
    const geo = windowGeometry(node, inSpatial, outSpatial, kernel.value);
    const includePad = getInt(node, 'count_include_pad', 0) === 1;
    const channels = inShape[1];
    const counts = b.memo(`${node.name}|counts`, () => b.constant(windowCounts(geo, inSpatial, outSpatial, includePad), 'pool_counts'));
    const ones = b.memo(`${node.name}|ones`, () => {
      const size = channels * geo.kernel.reduce((p, k) => p * k, 1);
      return b.constant(ConstTensor.float32([channels, 1, ...geo.kernel], new Float32Array(size).fill(1)), 'pool_ones');
    });
    const { outputPadding, extra } = transposePadding(geo, inSpatial, outSpatial);
    const map: LinearMap = {
      signed: false,
      forward: () => y,
      transpose(s) {
        let out = b.op('ConvTranspose', [b.div(s, counts), ones], {
          group: attr.i(channels), kernel_shape: attr.ints(geo.kernel), strides: attr.ints(geo.strides),
          pads: attr.ints(geo.pads), dilations: attr.ints(geo.dilations), output_padding: attr.ints(outputPadding),
        });
        // A Pad both adds what the ConvTranspose cannot reach and crops (negative) what ceil_mode windows overhang.
        if (extra.some((e) => e !== 0)) out = b.op('Pad', [out, b.ints([0, 0, ...inSpatial.map(() => 0), 0, 0, ...extra], 'pads')]);
        return out;
      },
    };
    return [linearBackward(ctx, map, x, y)];
  },
};
