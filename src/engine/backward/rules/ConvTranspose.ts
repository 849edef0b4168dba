/**
 * ConvTranspose as a forward layer (decoders, U-Nets): a linear map. Its forward with modified weights is the
 * same ConvTranspose node; its transpose is a Conv with the same weight (read as [Cin, Cout/group, k…]: Cout
 * channels in, Cin out), strides, dilations and group, whose begin pads are the ConvTranspose's effective ones.
 */
import { attr, getInt, getInts, getString, type Node } from '../../ir/graph';
import { linearBackward, modifiedWeight, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { BackwardContext, OpRule } from '../types';

/** Begin pads of a ConvTranspose: explicit pads, or derived from output_shape / auto_pad (spec order, checked against onnxruntime). */
export function transposedBeginPads(node: Node, inSpatial: number[], kernel: number[]): number[] {
  const r = inSpatial.length;
  const strides = getInts(node, 'strides') ?? Array(r).fill(1);
  const dilations = getInts(node, 'dilations') ?? Array(r).fill(1);
  const adj = getInts(node, 'output_padding') ?? Array(r).fill(0);
  const autoPad = getString(node, 'auto_pad', 'NOTSET');
  const outputShape = getInts(node, 'output_shape');
  const pads = getInts(node, 'pads') ?? Array(2 * r).fill(0);
  return inSpatial.map((n, i) => {
    let target: number | undefined;
    if (outputShape && outputShape.length) target = outputShape.length === r ? outputShape[i] : outputShape[i + 2];
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') target = n * strides[i];
    if (target === undefined) return autoPad === 'VALID' ? 0 : pads[i];
    const total = Math.max(0, (n - 1) * strides[i] + adj[i] + (kernel[i] - 1) * dilations[i] + 1 - target);
    // As the ONNX spec says (and onnxruntime 1.30 does): SAME_UPPER crops the odd pixel at the end, else at the head.
    return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
  });
}

export const rule: OpRule = {
  op: 'ConvTranspose',
  traits: { field: 'global' },
  backward(ctx: BackwardContext) {
    const { node, b } = ctx;
    const [x, wName, bName] = node.inputs;
    const y = node.outputs[0];
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('weights computed from the input are not supported');
    const weight = ctx.constant(wName);
    if (!weight) throw ctx.unsupported('the weight is not a constant initializer');
    const bias = bName ? ctx.constant(bName) : undefined;
    if (bName && !bias) throw ctx.unsupported('the bias is not a constant initializer');
    const inSpatial = ctx.shape(x).slice(2);
    const outSpatial = ctx.shape(y).slice(2);
    const r = inSpatial.length;
    const kernel = weight.dims.slice(2);
    const strides = getInts(node, 'strides') ?? Array(r).fill(1);
    const dilations = getInts(node, 'dilations') ?? Array(r).fill(1);
    const group = getInt(node, 'group', 1);
    const begin = transposedBeginPads(node, inSpatial, kernel);
    // End pads so the Conv's last window starts at the last input position.
    const end = inSpatial.map((n, i) => Math.max(0, (n - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - outSpatial[i] - begin[i]));
    const produced = inSpatial.map((_, i) => Math.floor((outSpatial[i] + begin[i] + end[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i]) + 1);
    // onnxruntime rejects output_shape / output_padding that would make this longer than the input.
    if (produced.some((p, i) => p !== inSpatial[i])) throw ctx.unsupported(`output size ${outSpatial} does not match the input size ${inSpatial}`);
    const map: LinearMap = {
      signed: true,
      forward(input: string, w: WeightMod, biasMod: BiasMod) {
        const inputs = [input, modifiedWeight(b, wName, weight, w)];
        if (bName && bias && biasMod !== 'none') inputs.push(modifiedWeight(b, bName, bias, biasMod));
        return b.op('ConvTranspose', inputs, Object.fromEntries(node.attrs));
      },
      transpose(s: string, w: WeightMod) {
        return b.op('Conv', [s, modifiedWeight(b, wName, weight, w)], {
          kernel_shape: attr.ints(kernel), strides: attr.ints(strides), dilations: attr.ints(dilations),
          group: attr.i(group), pads: attr.ints([...begin, ...end]),
        });
      },
    };
    return [linearBackward(ctx, map, x, y)];
  },
};
