/**
 * MatMul. With one constant operand it is a linear layer (all linear rules; a constant bias Add right after it,
 * as exporters write PyTorch's Linear on 3-D inputs, is part of the layer as in Gemm). With two input-dependent
 * operands (attention's Q·Kᵀ and A·V) the gradient is the product rule and LRP follows AttnLRP's rule for
 * bilinear products (Achtibat et al. 2024, Prop. 3.3): the ε-rule on the sum over the shared index, then each
 * product's relevance split evenly between its factors, R_A = ½ A ⊙ (s·Bᵀ), R_B = ½ B ⊙ (Aᵀ·s), s = R/(Y + ε·sign Y).
 */
import { attr } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { linearBackward, modifiedWeight, stabilize, transformedConstant, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { BackwardContext, OpRule } from '../types';

function swapLast(b: GraphBuilder, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return b.op('Transpose', [x], { perm: attr.ints(perm) });
}

/** A constant bias added right after the product (the Linear layer's), broadcast along the last axis only. */
function biasAfter(ctx: BackwardContext, y: string, cols: number): { bias: string; out: string } | undefined {
  const readers = ctx.consumers(y);
  if (readers.length !== 1 || readers[0].op !== 'Add') return undefined;
  const add = readers[0];
  const other = add.inputs[0] === y ? add.inputs[1] : add.inputs[0];
  const t = ctx.constant(other);
  if (!t || t.size !== cols || t.dims[t.dims.length - 1] !== cols || t.dims.length > ctx.shape(y).length) return undefined;
  return { bias: other, out: add.outputs[0] };
}

/**
 * The linear map of a product with one constant operand (`w` on side `side` of x), and the tensor holding its
 * pre-activation z (the bias Add's output when a bias is fused).
 */
function constantOperandMap(ctx: BackwardContext, x: string, w: string, side: 'right' | 'left'): { map: LinearMap; z: string } {
  const { b } = ctx;
  const weight = ctx.constant(w)!;
  const y = ctx.node.outputs[0];
  const xs = ctx.shape(x);
  const ws = weight.dims;
  if (xs.length < 2 || ws.length < 2) throw ctx.unsupported('1-D operands are not supported');
  const fused = side === 'right' ? biasAfter(ctx, y, ws[ws.length - 1]) : undefined;
  const biasT = fused ? ctx.constant(fused.bias)! : undefined;
  const wMod = (mod: WeightMod) => modifiedWeight(b, w, weight, mod);
  let transpose: (s: string, mod: WeightMod) => string;
  if (side === 'right' && ws.length === 2) {
    // A dense layer: transposed weights as constants, no broadcasting to undo.
    const [rows, cols] = ws;
    transpose = (s, mod) => {
      const name = wMod(mod);
      const wt = transformedConstant(b, name, 'T', b.graph.initializers.get(name)!, (v) => {
        const out = new Float32Array(v.length);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j];
        return { dims: [cols, rows], data: out };
      });
      return b.op('MatMul', [s, wt]);
    };
  } else {
    const ys = ctx.shape(y);
    transpose = (s, mod) => {
      const wt = swapLast(b, wMod(mod), ws.length);
      return b.unbroadcast(b.op('MatMul', side === 'right' ? [s, wt] : [wt, s]), ys, xs);
    };
  }
  const map: LinearMap = {
    signed: true,
    forward(input: string, mod: WeightMod, biasMod: BiasMod) {
      const z = b.op('MatMul', side === 'right' ? [input, wMod(mod)] : [wMod(mod), input]);
      if (!fused || biasMod === 'none') return z;
      return b.add(z, modifiedWeight(b, fused.bias, biasT!, biasMod));
    },
    transpose,
  };
  return { map, z: fused ? fused.out : y };
}

export const rule: OpRule = {
  op: 'MatMul',
  traits: { weighted: true, field: 'global' },
  backward(ctx) {
    const { b, node } = ctx;
    const [a, w] = node.inputs;
    const y = node.outputs[0];
    for (const [i, side] of [[0, 'right'], [1, 'left']] as const) {
      const other = node.inputs[1 - i];
      if (!ctx.constant(other) || ctx.wants(1 - i)) continue;
      if (!ctx.wants(i)) return [undefined, undefined];
      const { map, z } = constantOperandMap(ctx, node.inputs[i], other, side);
      const dx = linearBackward(ctx, map, node.inputs[i], z);
      return i === 0 ? [dx, undefined] : [undefined, dx];
    }
    const dy = ctx.dy()!;
    const ra = ctx.shape(a).length;
    const rb = ctx.shape(w).length;
    if (ra < 2 || rb < 2) throw ctx.unsupported('1-D operands are not supported');
    const ys = ctx.shape(y);
    // LRP: the gradient formulas applied to s = R/(2·(Y + ε·sign Y)), then times each operand.
    const eps = ctx.stabilizer();
    const s = ctx.lrp ? b.div(dy, b.mul(stabilize(b, y, eps), b.scalar(2))) : dy;
    const da = ctx.wants(0) ? b.unbroadcast(b.op('MatMul', [s, swapLast(b, w, rb)]), ys, ctx.shape(a)) : undefined;
    const db = ctx.wants(1) ? b.unbroadcast(b.op('MatMul', [swapLast(b, a, ra), s]), ys, ctx.shape(w)) : undefined;
    if (!ctx.lrp) return [da, db];
    return [da && b.mul(a, da), db && b.mul(w, db)];
  },
};
