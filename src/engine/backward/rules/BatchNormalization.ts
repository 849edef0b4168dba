/**
 * BatchNormalization at inference: a per-channel affine map y = a·x + c (a = γ/√(σ²+ε), c = β − μa). LRP-based
 * methods fold it into a preceding Conv first; a standalone one (DenseNet's pre-activation) is a diagonal layer.
 */
import { getFloat } from '../../ir/graph';
import { ConstTensor } from '../../ir/tensor';
import { linearBackward, modifiedWeight, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'BatchNormalization',
  backward(ctx) {
    const { b, node } = ctx;
    const [x, ...params] = node.inputs;
    const consts = params.slice(0, 4).map((p) => ctx.constant(p));
    if (consts.some((c) => !c)) throw ctx.unsupported('scale, bias, mean and variance must be constants');
    const [scale, bias, mean, variance] = consts.map((c) => c!.floats());
    const eps = getFloat(node, 'epsilon', 1e-5);
    const rank = ctx.shape(x).length;
    const channels = scale.length;
    const dims = [1, channels, ...Array(rank - 2).fill(1)];
    const a = scale.map((s, i) => s / Math.sqrt(variance[i] + eps));
    const c = bias.map((bb, i) => bb - mean[i] * a[i]);
    const aT = ConstTensor.float32(dims, a);
    const cT = ConstTensor.float32(dims, c);
    const aName = b.memo(`${node.name}|a`, () => b.constant(aT, 'bn_scale'));
    const cName = () => b.memo(`${node.name}|c`, () => b.constant(cT, 'bn_shift'));
    const map: LinearMap = {
      signed: true,
      forward(input: string, w: WeightMod, biasMod: BiasMod) {
        const scaled = b.mul(input, modifiedWeight(b, aName, aT, w));
        return biasMod === 'none' ? scaled : b.add(scaled, modifiedWeight(b, cName(), cT, biasMod));
      },
      transpose: (s: string, w: WeightMod) => b.mul(s, modifiedWeight(b, aName, aT, w)),
    };
    return [linearBackward(ctx, map, x, node.outputs[0])];
  },
};
