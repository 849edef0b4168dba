/** The contract between the backward compiler and the per-op rule files in ./rules. */
import type { GraphBuilder } from '../ir/builder';
import type { Node } from '../ir/graph';
import type { ConstTensor } from '../ir/tensor';
import type { LinearMap } from './lrp';

/** How a ReLU-like layer passes the signal (paper Fig. 2); `pass` is LRP's identity. */
export type ActivationRule = 'gradient' | 'deconvnet' | 'guided' | 'pass';
/** A linear-layer rule: the id of one of ./linear-rules (gradient, epsilon, zplus, alphabeta, zb, gamma, …). */
export type LinearRule = string;

export const ACTIVATION_RULES: readonly ActivationRule[] = ['gradient', 'deconvnet', 'guided', 'pass'];

export interface NodeRules {
  activation: ActivationRule;
  linear: LinearRule;
}

/**
 * Rule hyper-parameters. Live ones are graph inputs, declared by the rule that reads them and fed from the
 * method's parameter of that name, so a slider never rebuilds a session.
 */
export interface RuleParams {
  /** The scalar graph input fed from the method's live parameter `name` (declared on first use). */
  live(name: string): string;
  /**
   * The input's lowest / highest value per channel, in the first layer's view: the method's live parameter
   * `low` / `high` when set, else pixel 0 / 1 through the model's normalisation.
   */
  bound(which: 'low' | 'high'): string;
  /** Compile-time: β = 0, so αβ skips its negative half. */
  betaIsZero: boolean;
}

export interface BackwardContext {
  readonly b: GraphBuilder;
  readonly node: Node;
  readonly rules: NodeRules;
  readonly params: RuleParams;
  /** True when the signal is LRP relevance (any linear rule other than the gradient). */
  readonly lrp: boolean;
  /** Signal arriving at output i, or undefined when nothing flows back through it. */
  dy(i?: number): string | undefined;
  /** Whether input i depends on the explained input (and so needs a signal). */
  wants(i: number): boolean;
  shape(name: string): number[];
  /** Op type of the node producing a tensor (undefined for graph inputs and initializers). */
  producerOp(name: string): string | undefined;
  /** The forward node producing a tensor (undefined for graph inputs and initializers). */
  producer(name: string): Node | undefined;
  /** The forward graph's readers of a tensor (backward nodes excluded). */
  consumers(name: string): readonly Node[];
  /** The constant value of a tensor (initializer), if it has one. */
  constant(name: string): ConstTensor | undefined;
  /** Statically known to be ≥ 0 (after ReLU, pooling of such, …): LRP rules then skip the negative half. */
  nonNegative(name: string): boolean;
  /** An error naming this node, for configurations a rule cannot handle. */
  unsupported(why: string): Error;
  /** The denominator stabiliser of the node's linear rule (ε for LRP-ε, a tiny constant otherwise). */
  stabilizer(): string;
}

/**
 * Facts about an op that passes other than its backward rule use, declared beside the rule so one file holds
 * everything about the op.
 */
export interface OpTraits {
  /** A linear layer with its own weights (Conv, Gemm, MatMul): zB's first layer is the first such node. */
  weighted?: boolean;
  /**
   * Whether the output is ≥ 0, given which tensors are (constants with only non-negative values count): LRP's
   * z⁺/αβ rules then skip the negative half of their input.
   */
  nonNegative?: (node: Node, isNonNegative: (tensor: string) => boolean) => boolean;
  /** Receptive-field geometry: a sliding window (kernel/strides/dilations/pads attributes), padding, or global. */
  field?: 'window' | 'pad' | 'global';
}

/** Non-negative for every input (ReLU, Sigmoid, Softmax, …). */
export const CREATES_NON_NEGATIVE = (): boolean => true;
/** Non-negative when the first (data) input is (pooling, reshapes, reductions that sum or select). */
export const KEEPS_NON_NEGATIVE = (node: Node, nonNeg: (t: string) => boolean): boolean => nonNeg(node.inputs[0]);
/** Non-negative when every input is (Concat, Sum, Mean, Min). */
export const KEEPS_NON_NEGATIVE_ALL = (node: Node, nonNeg: (t: string) => boolean): boolean => node.inputs.every(nonNeg);

export interface OpRule {
  /** ONNX op type, exactly as in the graph. */
  op: string;
  traits?: OpTraits;
  /** Emits the backward nodes; returns the signal for each input (undefined: none / not wanted). */
  backward(ctx: BackwardContext): (string | undefined)[];
}

/** A linear-layer rule (./linear-rules), written over the abstract LinearMap of ./lrp.ts. */
export interface LinearRuleDef {
  id: string;
  /** False only for the gradient: the signal is then a gradient, not relevance. */
  lrp: boolean;
  /** The stabiliser used where this rule reduces to a proportional split (pools, sums, bilinear ops). */
  stabilizer(ctx: BackwardContext): string;
  /** The signal for the layer input x (output z) from the relevance ctx.dy(0). Called for signed maps. */
  backward(ctx: BackwardContext, map: LinearMap, x: string, z: string): string;
}
