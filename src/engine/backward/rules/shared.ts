/** Small pieces several rule files share. */
import { KEEPS_NON_NEGATIVE, type BackwardContext, type OpRule, type OpTraits } from '../types';

/** Ops that only rearrange or relabel elements: the signal goes back reshaped to the input (gradient = LRP). */
export function reshapeLike(op: string, field?: OpTraits['field']): OpRule {
  return {
    op,
    traits: { nonNegative: KEEPS_NON_NEGATIVE, field },
    backward: (ctx) => [ctx.b.reshape(ctx.dy()!, ctx.shape(ctx.node.inputs[0]))],
  };
}

/** Ops that are the identity at inference (Identity, Dropout, float Cast). */
export function identity(op: string): OpRule {
  return { op, traits: { nonNegative: KEEPS_NON_NEGATIVE }, backward: (ctx) => [ctx.dy()] };
}

/**
 * A smooth activation: the plain gradient δ ⊙ f'(·) in gradient modes, identity under LRP (relevance passes
 * activations unchanged). `derivative` returns f' as a tensor name.
 */
export function smoothActivation(op: string, derivative: (ctx: BackwardContext) => string, traits?: OpTraits): OpRule {
  return {
    op,
    traits,
    backward(ctx) {
      if (ctx.lrp) return [ctx.dy()];
      return [ctx.b.mul(ctx.dy()!, derivative(ctx))];
    },
  };
}

/**
 * A ReLU-like activation (paper Fig. 2): gradient δ⊙f'(x), deconvnet [δ]⁺, guided [δ]⁺⊙f'(x), LRP identity.
 * `derivative` gives the local slope as a tensor.
 */
export function reluLike(op: string, derivative: (ctx: BackwardContext) => string, traits?: OpTraits): OpRule {
  return {
    op,
    traits,
    backward(ctx) {
      const dy = ctx.dy()!;
      switch (ctx.rules.activation) {
        case 'pass': return [dy];
        case 'deconvnet': return [ctx.b.relu(dy)];
        case 'guided': return [ctx.b.mul(ctx.b.relu(dy), derivative(ctx))];
        case 'gradient': return [ctx.b.mul(dy, derivative(ctx))];
      }
    },
  };
}

/** The constant scalar value of an optional input, if it is a constant. */
export function constScalar(ctx: BackwardContext, index: number): number | undefined {
  const name = ctx.node.inputs[index];
  if (!name) return undefined;
  const t = ctx.constant(name);
  return t && t.size === 1 ? t.numbers()[0] : undefined;
}

/** Normalises a possibly negative axis. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
