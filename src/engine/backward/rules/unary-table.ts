/**
 * Elementwise unary ops as one table: each line is the op, its kind and its slope f'(x) as graph nodes (from the
 * input x, the output y and the node's attributes). ReLU-like ops follow the ReLU rules (deconvnet [δ]⁺, guided
 * [δ]⁺·f'); smooth ones pass δ·f' in every gradient mode. Both pass LRP relevance unchanged (the identity rule for
 * elementwise nonlinearities, as AttnLRP). Adding a unary op: one line here and a gradcheck case.
 */
import type { GraphBuilder } from '../../ir/builder';
import { getFloat, getString, type Node } from '../../ir/graph';
import { CREATES_NON_NEGATIVE, type BackwardContext, type OpRule, type OpTraits } from '../types';
import { reluLike, smoothActivation } from './shared';

type Slope = (b: GraphBuilder, x: string, y: string, node: Node, ctx: BackwardContext) => string;
type Kind = 'relu-like' | 'smooth';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const sigmoid = (b: GraphBuilder, x: string) => b.op('Sigmoid', [x]);
const exp = (b: GraphBuilder, x: string) => b.op('Exp', [x]);
/** pos where x > 0, else neg (mask arithmetic: onnxruntime's scalar-broadcast Where is slow on large tensors). */
const split = (b: GraphBuilder, x: string, pos: string, neg: string) => b.add(neg, b.mul(b.mask('Greater', x, b.scalar(0)), b.sub(pos, neg)));

/** GELU: Φ(x) + x·φ(x) exactly; for the tanh form ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²). */
function geluSlope(b: GraphBuilder, x: string, node: Node, ctx: BackwardContext): string {
  const approx = getString(node, 'approximate', 'none');
  const x2 = b.mul(x, x);
  if (approx === 'tanh') {
    const t = b.op('Tanh', [b.mul(b.scalar(SQRT_2_OVER_PI), b.add(x, b.mul(b.scalar(0.044715), b.mul(x2, x))))]);
    const du = b.mul(b.scalar(SQRT_2_OVER_PI), b.add(b.scalar(1), b.mul(b.scalar(3 * 0.044715), x2)));
    return b.add(b.mul(b.scalar(0.5), b.add(b.scalar(1), t)), b.mul(b.mul(b.scalar(0.5), x), b.mul(b.sub(b.scalar(1), b.mul(t, t)), du)));
  }
  if (approx !== 'none') throw ctx.unsupported(`unknown approximate '${approx}'`);
  const cdf = b.mul(b.scalar(0.5), b.add(b.scalar(1), b.op('Erf', [b.mul(x, b.scalar(Math.SQRT1_2))])));
  const pdf = b.mul(b.scalar(1 / Math.sqrt(2 * Math.PI)), exp(b, b.mul(x2, b.scalar(-0.5))));
  return b.add(cdf, b.mul(x, pdf));
}

/** Mish x·tanh(softplus x): tanh(sp) + x·σ(x)·(1 − tanh²(sp)). */
function mishSlope(b: GraphBuilder, x: string): string {
  const t = b.op('Tanh', [b.op('Softplus', [x])]);
  return b.add(t, b.mul(b.mul(x, sigmoid(b, x)), b.sub(b.scalar(1), b.mul(t, t))));
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** The output is ≥ 0 for every input. */
const NON_NEGATIVE: OpTraits = { nonNegative: CREATES_NON_NEGATIVE };

export const UNARY_TABLE: readonly [op: string, kind: Kind, slope: Slope, traits?: OpTraits][] = [
  ['Sigmoid', 'smooth', (b, _x, y) => b.mul(y, b.sub(b.scalar(1), y)), NON_NEGATIVE],
  ['Tanh', 'smooth', (b, _x, y) => b.sub(b.scalar(1), b.mul(y, y))],
  ['HardSigmoid', 'smooth', (b, _x, y, n) => b.mul(b.mul(b.mask('Greater', y, b.scalar(0)), b.mask('Less', y, b.scalar(1))), b.scalar(getFloat(n, 'alpha', 0.2))), NON_NEGATIVE],
  ['Erf', 'smooth', (b, x) => b.mul(b.scalar(2 / Math.sqrt(Math.PI)), exp(b, b.neg(b.mul(x, x))))],
  ['Exp', 'smooth', (_b, _x, y) => y, NON_NEGATIVE],
  ['Log', 'smooth', (b, x) => b.op('Reciprocal', [x])],
  ['Sqrt', 'smooth', (b, _x, y) => b.div(b.scalar(0.5), y), NON_NEGATIVE],
  ['Reciprocal', 'smooth', (b, _x, y) => b.neg(b.mul(y, y))],
  ['Neg', 'smooth', (b) => b.scalar(-1)],
  ['Abs', 'smooth', (b, x) => b.op('Sign', [x]), NON_NEGATIVE],
  ['Sin', 'smooth', (b, x) => b.op('Cos', [x])],
  ['Cos', 'smooth', (b, x) => b.neg(b.op('Sin', [x]))],
  ['Gelu', 'relu-like', (b, x, _y, n, ctx) => geluSlope(b, x, n, ctx)],
  ['Softplus', 'relu-like', (b, x) => sigmoid(b, x), NON_NEGATIVE],
  ['Mish', 'relu-like', (b, x) => mishSlope(b, x)],
  ['Elu', 'relu-like', (b, x, y, n) => split(b, x, b.scalar(1), b.add(y, b.scalar(getFloat(n, 'alpha', 1))))],
  ['Selu', 'relu-like', (b, x, y, n) => split(b, x, b.scalar(getFloat(n, 'gamma', SELU_GAMMA)), b.add(y, b.scalar(getFloat(n, 'gamma', SELU_GAMMA) * getFloat(n, 'alpha', SELU_ALPHA))))],
  ['Celu', 'relu-like', (b, x, y, n) => split(b, x, b.scalar(1), b.add(b.div(y, b.scalar(getFloat(n, 'alpha', 1))), b.scalar(1)))],
];

export const UNARY_RULES: readonly OpRule[] = UNARY_TABLE.map(([op, kind, slope, traits]) => {
  // One slope tensor per node, shared by every backward pass through it (Grad-CAM runs two).
  const derivative = (ctx: BackwardContext) =>
    ctx.b.memo(`slope|${ctx.node.outputs[0]}`, () => slope(ctx.b, ctx.node.inputs[0], ctx.node.outputs[0], ctx.node, ctx));
  return kind === 'relu-like' ? reluLike(op, derivative, traits) : smoothActivation(op, derivative, traits);
});
