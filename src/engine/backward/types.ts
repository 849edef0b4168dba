/** The contract between the backward compiler and the per-op rule files in ./rules. */
import type { GraphBuilder } from '../ir/builder';
import type { Node } from '../ir/graph';
import type { ConstTensor } from '../ir/tensor';

/** How a ReLU-like layer passes the signal (paper Fig. 2); `pass` is LRP's identity. */
export type ActivationRule = 'gradient' | 'deconvnet' | 'guided' | 'pass';
/** How a linear layer (Conv, Gemm, MatMul, BatchNorm, pools, residual Add) passes the signal. */
export type LinearRule = 'gradient' | 'epsilon' | 'zplus' | 'alphabeta' | 'zb';

export const ACTIVATION_RULES: readonly ActivationRule[] = ['gradient', 'deconvnet', 'guided', 'pass'];
export const LINEAR_RULES: readonly LinearRule[] = ['gradient', 'epsilon', 'zplus', 'alphabeta', 'zb'];

export interface NodeRules {
  activation: ActivationRule;
  linear: LinearRule;
}

/** Graph-input names of the rule hyper-parameters, so changing them never rebuilds a session. */
export interface RuleParams {
  eps: string;
  alpha: string;
  beta: string;
  /** Compile-time: β = 0, so αβ skips its negative half. */
  betaIsZero: boolean;
  /** Pixel bounds for zB, broadcastable to the model input. */
  low: string;
  high: string;
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
}

export type OpCategory = 'activation' | 'relu-like' | 'linear' | 'structural';

export interface OpRule {
  /** ONNX op type, exactly as in the graph. */
  op: string;
  category: OpCategory;
  /** Emits the backward nodes; returns the signal for each input (undefined: none / not wanted). */
  backward(ctx: BackwardContext): (string | undefined)[];
}
