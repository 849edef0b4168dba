/** The deconvolution family: one backward pass from the target to the input under per-node rules. */
import type { Node } from '../ir/graph';
import type { NodeRules } from '../backward/types';
import { nodesBetween } from '../backward/backward';
import { invalidParams } from '../errors';
import type { GraphPlan } from './types';

/** Facts about a node that a method's rule assignment may use. */
export interface NodeFacts {
  /** A Conv/Gemm/MatMul reached from the input without passing another such layer (zB's layer). */
  firstLinear: boolean;
}

export type RulesFor = (node: Node, facts: NodeFacts) => NodeRules;

export interface BackwardOptions {
  rulesFor: RulesFor;
  /** Some layer takes an LRP rule: BatchNorm is then folded into its Conv (one affine layer for the rules). */
  lrp: boolean;
  /** αβ with β fixed at 0 compiles without its negative half. */
  betaIsZero?: boolean;
  /** Multiply the signal by the input (input × gradient). */
  timesInput?: boolean;
}

export function dependsOnInput(graph: Parameters<typeof nodesBetween>[0], input: string, target: string): boolean {
  return target === input || nodesBetween(graph, [input], target).length > 0;
}

export function backwardPlan(o: BackwardOptions): GraphPlan {
  return {
    key: `backward|b0=${!!o.betaIsZero}|x=${!!o.timesInput}`,
    foldBatchNorm: o.lrp,
    keep: [],
    check(graph, _shapes, input, target) {
      if (!dependsOnInput(graph, input, target)) throw invalidParams(`the target tensor '${target}' does not depend on the input`);
    },
    emit(ctx) {
      const rulesFor = (n: Node) => o.rulesFor(n, { firstLinear: ctx.firstLinear.has(n) });
      // LRP seeds the relevance with the target's value; the gradient family seeds with the weighting alone.
      const lrp = ctx.graph.nodes.some((n) => rulesFor(n).linear !== 'gradient');
      const seed = lrp ? ctx.b.mul(ctx.weight, ctx.target) : ctx.weight;
      const grad = ctx.backward(seed, [ctx.input], rulesFor, { betaIsZero: o.betaIsZero }).get(ctx.input)!;
      return o.timesInput ? ctx.b.mul(grad, ctx.input) : grad;
    },
  };
}

const gradientRules = (): NodeRules => ({ activation: 'gradient', linear: 'gradient' });

/** The plain gradient of the weighted target w.r.t. the input (reconstruction, the model check). */
export const GRADIENT_PLAN: GraphPlan = backwardPlan({ rulesFor: gradientRules, lrp: false });
