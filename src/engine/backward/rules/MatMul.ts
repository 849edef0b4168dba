/**
 * MatMul. With a constant 2-D right operand it is a dense layer (all linear rules); with two input-dependent
 * operands only the gradient is defined (product rule).
 */
import { attr } from '../../ir/graph';
import type { GraphBuilder } from '../../ir/builder';
import { linearBackward, modifiedWeight, transformedConstant, type LinearMap, type WeightMod } from '../lrp';
import type { OpRule } from '../types';

function swapLast(b: GraphBuilder, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return b.op('Transpose', [x], { perm: attr.ints(perm) });
}

export const rule: OpRule = {
  op: 'MatMul',
  category: 'linear',
  backward(ctx) {
    const { b, node } = ctx;
    const [a, w] = node.inputs;
    const y = node.outputs[0];
    const weight = ctx.constant(w);
    if (weight && weight.dims.length === 2 && !ctx.wants(1)) {
      const [rows, cols] = weight.dims;
      const map: LinearMap = {
        signed: true,
        forward: (x: string, mod: WeightMod) => b.op('MatMul', [x, modifiedWeight(b, w, weight, mod)]),
        transpose(s: string, mod: WeightMod) {
          const wMod = modifiedWeight(b, w, weight, mod);
          const t = b.graph.initializers.get(wMod)!;
          const wt = transformedConstant(b, wMod, 'T', t, (v) => {
            const out = new Float32Array(v.length);
            for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j];
            return { dims: [cols, rows], data: out };
          });
          return b.op('MatMul', [s, wt]);
        },
      };
      return [ctx.wants(0) ? linearBackward(ctx, map, a, y) : undefined, undefined];
    }
    if (ctx.lrp) throw ctx.unsupported('LRP needs a constant 2-D weight operand; only gradient methods work here');
    const dy = ctx.dy()!;
    const ra = ctx.shape(a).length;
    const rb = ctx.shape(w).length;
    if (ra < 2 || rb < 2) throw ctx.unsupported('1-D operands are not supported');
    const ys = ctx.shape(y);
    const da = ctx.wants(0) ? b.unbroadcast(b.op('MatMul', [dy, swapLast(b, w, rb)]), ys, ctx.shape(a)) : undefined;
    const db = ctx.wants(1) ? b.unbroadcast(b.op('MatMul', [swapLast(b, a, ra), dy]), ys, ctx.shape(w)) : undefined;
    return [da, db];
  },
};
