/**
 * A plan is how a method turns the model into its explanation graph: a strategy object that emits the nodes, says
 * how the model must be prepared, checks up front that it applies, and names what makes its graph distinct.
 * Compiling (compile.ts) and running (one `feeds()` plus a fetch of the relevance and the target) are shared.
 */
import type { GraphBuilder } from '../ir/builder';
import type { Graph, Node } from '../ir/graph';
import type { NodeRules } from '../backward/types';
import type { GraphInputs } from '../graph-inputs';
import type { Layout } from '../layout';

export interface EmitContext {
  readonly b: GraphBuilder;
  readonly graph: Graph;
  /** The model's data input, its shape and its (N, C, …) view (CAM maps are laid out against the view). */
  readonly input: string;
  readonly inShape: number[];
  readonly viewShape: number[];
  readonly layout: Layout;
  readonly target: string;
  /** The target weighting (with the in-graph top class and dense selection terms when those apply). */
  readonly weight: string;
  readonly inputs: GraphInputs;
  /** Conv/Gemm/MatMul nodes reached from the input without passing another (zB's layer). */
  readonly firstLinear: ReadonlySet<Node>;
  /** A backward pass from the target seeded with `seed`; the signal at each tensor of `wrt`. */
  backward(seed: string, wrt: string[], rulesFor: (node: Node) => NodeRules, options?: { betaIsZero?: boolean }): Map<string, string>;
  /** Fetch only the explanation: the model's own outputs are not computed (reconstruction loops). */
  dropModelOutputs(): void;
}

export interface GraphPlan {
  /** What distinguishes this plan's graph besides the method id and its non-live parameters (session cache key). */
  readonly key: string;
  /** LRP: fold BatchNorm into Conv and fuse written-out norms, so each affine layer gets one rule. */
  readonly foldBatchNorm: boolean;
  /** Tensors the preparation must keep by name (a Grad-CAM layer must survive folding). */
  readonly keep: readonly string[];
  /** Throws a clear error before compiling when the plan cannot apply (no such layer, target not from the input). */
  check(graph: Graph, shapes: ReadonlyMap<string, number[]>, input: string, target: string): void;
  /** Emits the explanation; returns its tensor. */
  emit(ctx: EmitContext): string;
}
