/**
 * Einsum. Gradient: for each operand, an Einsum of the output signal with the other operands (einsum-equation.ts);
 * indices summed within one operand alone are broadcast back. LRP: with one input-dependent operand and the rest
 * constant it is a linear layer (all linear rules); with several input-dependent operands (attention written as
 * einsum) it takes AttnLRP's rule for multilinear products (Achtibat et al. 2024, Prop. 3.3): the ε-rule on the
 * sum, split evenly between the N factors, R_k = X_k ⊙ ∂⟨s, Y⟩/∂X_k with s = R/(N·(Y + ε·sign Y)).
 */
import { attr, getString } from '../../ir/graph';
import { linearBackward, modifiedWeight, stabilize, type LinearMap, type WeightMod } from '../lrp';
import { EinsumError, gradientEquation, letterSizes, parseEquation, type Equation } from './einsum-equation';
import type { BackwardContext, OpRule } from '../types';

/** ∂⟨s, Y⟩/∂X_k with the other operands given by name. */
function operandGradient(ctx: BackwardContext, eq: Equation, k: number, s: string, operands: string[]): string {
  const { b } = ctx;
  const { equation, others, missing } = gradientEquation(eq, k);
  let g = b.op('Einsum', [s, ...others.map((j) => operands[j])], { equation: attr.s(equation) });
  const shape = ctx.shape(ctx.node.inputs[k]);
  if (missing.length) {
    g = b.reshape(g, shape.map((d, i) => (missing.includes(i) ? 1 : d)));
    g = b.op('Expand', [g, b.ints(shape, 'shape')]);
  }
  return b.setShape(g, shape);
}

export const rule: OpRule = {
  op: 'Einsum',
  backward(ctx) {
    const { b, node } = ctx;
    let eq: Equation;
    try {
      eq = parseEquation(getString(node, 'equation', ''), node.inputs.map((i) => ctx.shape(i).length));
      letterSizes(eq, node.inputs.map((i) => ctx.shape(i)));
    } catch (e) {
      if (e instanceof EinsumError) throw ctx.unsupported(e.message);
      throw e;
    }
    const dy = ctx.dy()!;
    const inputs = node.inputs;
    const dynamic = inputs.map((_, k) => k).filter((k) => ctx.wants(k));
    if (!ctx.lrp) return inputs.map((_, k) => (ctx.wants(k) ? operandGradient(ctx, eq, k, dy, inputs) : undefined));
    const y = node.outputs[0];
    if (dynamic.length === 1 && inputs.length > 1) {
      const k = dynamic[0];
      const constants = inputs.map((_, j) => j).filter((j) => j !== k);
      const modified = (mod: WeightMod) => inputs.map((name, j) => {
        if (j === k || mod === 'id') return name;
        const t = ctx.constant(name);
        if (!t || constants.length > 1) throw ctx.unsupported(`the ${ctx.rules.linear} rule needs exactly one constant operand`);
        return modifiedWeight(b, name, t, mod);
      });
      const map: LinearMap = {
        signed: true,
        forward: (x, mod) => b.op('Einsum', modified(mod).map((n, j) => (j === k ? x : n)), { equation: attr.s(`${eq.inputs.join(',')}->${eq.output}`) }),
        transpose: (s, mod) => operandGradient(ctx, eq, k, s, modified(mod)),
      };
      return inputs.map((_, j) => (j === k ? linearBackward(ctx, map, inputs[k], y) : undefined));
    }
    const eps = ctx.stabilizer();
    const s = b.div(dy, b.mul(stabilize(b, y, eps), b.scalar(dynamic.length)));
    return inputs.map((x, k) => (ctx.wants(k) ? b.mul(x, operandGradient(ctx, eq, k, s, inputs)) : undefined));
  },
};
