/** Gemm Y = α·A'B' + β·C with a constant B: a dense layer. Its transpose is a MatMul with α·B'ᵀ. */
import { attr, getFloat, getInt } from '../../ir/graph';
import { linearBackward, modifiedWeight, transformedConstant, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'Gemm',
  traits: { weighted: true, field: 'global' },
  backward(ctx) {
    const { b, node } = ctx;
    const [a, bName, cName] = node.inputs;
    if (ctx.wants(1) || ctx.wants(2)) throw ctx.unsupported('only the first operand may depend on the input');
    const weight = ctx.constant(bName);
    if (!weight) throw ctx.unsupported('the second operand is not a constant');
    const bias = cName ? ctx.constant(cName) : undefined;
    const alpha = getFloat(node, 'alpha', 1);
    const beta = getFloat(node, 'beta', 1);
    const transA = getInt(node, 'transA', 0);
    const transB = getInt(node, 'transB', 0);
    const [rows, cols] = weight.dims;
    const map: LinearMap = {
      signed: true,
      forward(x: string, w: WeightMod, biasMod: BiasMod) {
        const inputs = [x, modifiedWeight(b, bName, weight, w)];
        if (cName && bias && biasMod !== 'none') inputs.push(modifiedWeight(b, cName, bias, biasMod));
        return b.op('Gemm', inputs, { alpha: attr.f(alpha), beta: attr.f(beta), transA: attr.i(transA), transB: attr.i(transB) });
      },
      transpose(s: string, w: WeightMod) {
        // δA' = α·δ·B'ᵀ; B' = transB ? Bᵀ : B, so B'ᵀ = transB ? B : Bᵀ.
        const wMod = modifiedWeight(b, bName, weight, w);
        const t = b.graph.initializers.get(wMod)!;
        // PyTorch's Linear (transB = 1, α = 1) needs no copy: B itself is B'ᵀ.
        const m = transB && alpha === 1 ? wMod : transformedConstant(b, wMod, `gemmT${transB}a${alpha}`, t, (v) => {
          if (transB) return { dims: [rows, cols], data: v.map((x) => x * alpha) };
          const out = new Float32Array(v.length);
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j] * alpha;
          return { dims: [cols, rows], data: out };
        });
        const grad = b.op('MatMul', [s, m]);
        return transA ? b.op('Transpose', [grad], { perm: attr.ints([1, 0]) }) : grad;
      },
    };
    return [linearBackward(ctx, map, a, node.outputs[0])];
  },
};
