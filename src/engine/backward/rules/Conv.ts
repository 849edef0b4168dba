/**
 * Conv: a linear layer. Its transpose is a Conv with the kernel flipped and in/out channels swapped when the
 * stride is 1 (faster in onnxruntime than ConvTranspose, and exact), else a ConvTranspose with output_padding.
 */
import { attr, getInt, type Node } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import type { ConstTensor } from '../../ir/tensor';
import { linearBackward, modifiedWeight, transformedConstant, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { BackwardContext, OpRule } from '../types';
import { transposePadding, windowGeometry, type WindowGeometry } from './conv-geometry';

/** Kernel flipped in every spatial axis with in/out channels swapped per group: the stride-1 transpose kernel. */
export function flipKernel(w: Float32Array, dims: number[], group: number): { dims: number[]; data: Float32Array } {
  const [cout, cinG, ...k] = dims;
  const coutG = cout / group;
  const cin = cinG * group;
  const ks = k.reduce((a, b) => a * b, 1);
  const out = new Float32Array(w.length);
  for (let g = 0; g < group; g++) {
    for (let co = 0; co < coutG; co++) {
      for (let ci = 0; ci < cinG; ci++) {
        const src = ((g * coutG + co) * cinG + ci) * ks;
        const dst = ((g * cinG + ci) * coutG + co) * ks;
        for (let j = 0; j < ks; j++) out[dst + j] = w[src + ks - 1 - j];
      }
    }
  }
  return { dims: [cin, coutG, ...k], data: out };
}

export function convMap(b: GraphBuilder, node: Node, weight: ConstTensor, geo: WindowGeometry, x: string, y: string): LinearMap {
  const [, wName, bName] = node.inputs;
  const group = getInt(node, 'group', 1);
  const bias = bName ? b.graph.initializers.get(bName) : undefined;
  const inSpatial = b.shapeOf(x).slice(2);
  const outSpatial = b.shapeOf(y).slice(2);
  const r = inSpatial.length;
  const stride1 = geo.strides.every((s) => s === 1);
  const flipPads: number[] = [];
  for (let i = 0; i < 2 * r; i++) flipPads.push((geo.kernel[i % r] - 1) * geo.dilations[i % r] - geo.pads[i]);
  const useFlip = stride1 && flipPads.every((p) => p >= 0);
  const common = { dilations: attr.ints(geo.dilations), group: attr.i(group) };
  return {
    signed: true,
    forward(input: string, w: WeightMod, biasMod: BiasMod) {
      const inputs = [input, modifiedWeight(b, wName, weight, w)];
      if (bName && bias && biasMod !== 'none') inputs.push(modifiedWeight(b, bName, bias, biasMod));
      return b.op('Conv', inputs, { ...common, kernel_shape: attr.ints(geo.kernel), pads: attr.ints(geo.pads), strides: attr.ints(geo.strides) });
    },
    transpose(s: string, w: WeightMod) {
      const wMod = modifiedWeight(b, wName, weight, w);
      if (useFlip) {
        const t = b.graph.initializers.get(wMod)!;
        const flipped = transformedConstant(b, wMod, 'flipped', t, (v) => flipKernel(v, t.dims, group));
        return b.op('Conv', [s, flipped], { ...common, kernel_shape: attr.ints(geo.kernel), pads: attr.ints(flipPads), strides: attr.ints(geo.strides) });
      }
      const { outputPadding, extra } = transposePadding(geo, inSpatial, outSpatial);
      let out = b.op('ConvTranspose', [s, wMod], {
        ...common, kernel_shape: attr.ints(geo.kernel), pads: attr.ints(geo.pads), strides: attr.ints(geo.strides),
        output_padding: attr.ints(outputPadding),
      });
      if (extra.some((e) => e > 0)) out = b.op('Pad', [out, b.ints([0, 0, ...Array(r).fill(0), 0, 0, ...extra], 'pads')]);
      return out;
    },
  };
}

export const rule: OpRule = {
  op: 'Conv',
  traits: { weighted: true, field: 'window' },
  backward(ctx: BackwardContext) {
    const { node, b } = ctx;
    const [x, wName] = node.inputs;
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('weights computed from the input are not supported');
    const weight = ctx.constant(wName);
    if (!weight) throw ctx.unsupported('the weight is not a constant initializer');
    const geo = windowGeometry(node, ctx.shape(x).slice(2), ctx.shape(node.outputs[0]).slice(2), weight.dims.slice(2));
    return [linearBackward(ctx, convMap(b, node, weight, geo, x, node.outputs[0]), x, node.outputs[0])];
  },
};
