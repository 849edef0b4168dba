/**
 * Turns (prepared model graph, method plan, target tensor) into one ONNX model whose outputs include the
 * explanation. Rule hyper-parameters and the target weighting are graph inputs, so one compiled session serves
 * every class, unit and slider position.
 */
import { GraphBuilder } from './ir/builder';
import { attr, cloneGraph, dataInputs, defaultOpset, getInts, type Graph, type Model, type Node } from './ir/graph';
import { COMPILED_OPSET } from './ir/canonicalize';
import { emitBackward } from './backward/backward';
import type { RuleRegistry } from './backward/registry';
import type { NodeRules, RuleParams } from './backward/types';
import { encodeModel } from './onnx/codec';
import { DataType } from './ir/tensor';
import { FeatureVisError } from './errors';
import { camLayout, channelsFirst, tokenCamLayer } from './cam-layout';
import { boundShape as layoutBoundShape, channelsFirstDims, firstLayerBoundShape, type Layout } from './layout';

/** Facts about a node that a method's rule assignment may use. */
export interface NodeFacts {
  /** A Conv/Gemm/MatMul reached from the input without passing another such layer (zB's layer). */
  firstLinear: boolean;
}

export type GraphPlan = (
  | {
    kind: 'backward'; rulesFor: (node: Node, facts: NodeFacts) => NodeRules; betaIsZero: boolean; timesInput: boolean;
    /** LRP rules on some layer: BatchNorm is then folded into its Conv (one affine layer for the rules). */
    lrp?: boolean;
  }
  | { kind: 'cam' }
  | { kind: 'grad-cam'; layer: string; guided: boolean }
  /** Reconstruction: gradient of ½‖target − fv_target_weight‖² w.r.t. the input (feature inversion). */
  | { kind: 'feature-match' }
  /** Reconstruction: only the target tensor itself (features at a layer); no backward pass. */
  | { kind: 'features' }
) & {
  /**
   * Spatial targets (segmentation): add fv_class_select ⊙ onehot(argmax over axis 1) ⊙ fv_region to the weighting,
   * so "class K where the model predicts it" needs no forward pass first (see dense-targets.ts).
   */
  argmaxSelect?: boolean;
};

export const INPUT_NAMES = {
  weight: 'fv_target_weight', eps: 'fv_eps', alpha: 'fv_alpha', beta: 'fv_beta', low: 'fv_low', high: 'fv_high',
  top: 'fv_top', select: 'fv_class_select', region: 'fv_region',
} as const;
export const RELEVANCE = 'fv_relevance';
/** For 2-D (batch, classes) targets: each item's arg-max class, so "explain the prediction" needs one run. */
export const TOP_INDEX = 'fv_top_index';

export interface CompiledGraph {
  bytes: Uint8Array;
  /** Graph inputs besides the model input, in the order above. */
  inputs: string[];
  targetTensor: string;
  relevance: string;
  /** Output with each item's arg-max class, for 2-D targets. */
  topIndex?: string;
}

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);

export function firstLinearNodes(g: Graph, input: string): Set<Node> {
  const first = new Set<Node>();
  const reached = new Set([input]);
  for (const n of g.nodes) {
    if (!n.inputs.some((i) => reached.has(i))) continue;
    if (WEIGHTED.has(n.op)) first.add(n);
    else for (const o of n.outputs) if (o) reached.add(o);
  }
  return first;
}

export function compileGraph(model: Model, prepared: Graph, shapes: Map<string, number[]>, registry: RuleRegistry,
  plan: GraphPlan, targetTensor: string, inputLayout: Layout = 'NCHW'): CompiledGraph {
  const g = cloneGraph(prepared);
  const b = new GraphBuilder(g, Math.max(defaultOpset(model), COMPILED_OPSET), new Map(shapes));
  const input = dataInputs(g)[0].name;
  const inShape = b.shapeOf(input);
  const boundShape = layoutBoundShape(inShape, inputLayout);
  // CAM maps are laid out and resized against the input's (N, C, H, W) view, whatever the model's layout.
  const viewShape = channelsFirstDims(inShape, inputLayout);
  const targetShape = b.shapeOf(targetTensor);
  let weight = b.addInput(INPUT_NAMES.weight, targetShape);
  let topIndex: string | undefined;
  if (targetShape.length === 2) {
    // weight + fv_top · onehot(argmax): with fv_top = 1 and a zero weighting this explains each item's top class.
    const top = b.addInput(INPUT_NAMES.top, []);
    const isMax = b.op('Cast', [b.op('Equal', [targetTensor, b.reduce('ReduceMax', targetTensor, [1], true)])], { to: attr.i(1) });
    weight = b.add(weight, b.mul(top, isMax));
    topIndex = b.op('ArgMax', [targetTensor], { axis: attr.i(1), keepdims: attr.i(0) });
  } else if (plan.argmaxSelect && targetShape.length > 2) {
    const ones = targetShape.slice(2).map(() => 1);
    const select = b.addInput(INPUT_NAMES.select, [targetShape[0], targetShape[1], ...ones]);
    const region = b.addInput(INPUT_NAMES.region, [1, 1, ...targetShape.slice(2)]);
    const isMax = b.op('Cast', [b.op('Equal', [targetTensor, b.reduce('ReduceMax', targetTensor, [1], true)])], { to: attr.i(1) });
    weight = b.add(weight, b.mul(b.mul(select, isMax), region));
  }
  // The bounds are fed in the input's layout; where the first layer reads them in another (an NHWC model's
  // transposed Conv input) they are reshaped on first use only, so methods without zB leave them unused.
  const zbShape = firstLayerBoundShape(g, b.shapes, input, inputLayout, firstLinearNodes(g, input));
  const bound = (name: string) => (zbShape ? b.memo(`zb/${name}`, () => b.reshape(name, zbShape)) : name);
  const [low, high] = [b.addInput(INPUT_NAMES.low, boundShape), b.addInput(INPUT_NAMES.high, boundShape)];
  const params: RuleParams = {
    eps: b.addInput(INPUT_NAMES.eps, []),
    alpha: b.addInput(INPUT_NAMES.alpha, []),
    beta: b.addInput(INPUT_NAMES.beta, []),
    betaIsZero: plan.kind === 'backward' && plan.betaIsZero,
    get low() { return bound(low); },
    get high() { return bound(high); },
  };
  const gradientRules = () => ({ activation: 'gradient', linear: 'gradient' }) as NodeRules;
  let relevance: string;
  if (plan.kind === 'backward') {
    const first = firstLinearNodes(g, input);
    const rulesFor = (n: Node) => plan.rulesFor(n, { firstLinear: first.has(n) });
    const lrp = g.nodes.some((n) => rulesFor(n).linear !== 'gradient');
    const seed = lrp ? b.mul(weight, targetTensor) : weight;
    const grad = emitBackward(b, { target: targetTensor, seed, wrt: [input], rulesFor, params, registry }).get(input)!;
    relevance = plan.timesInput ? b.mul(grad, input) : grad;
  } else if (plan.kind === 'cam') {
    const { pooledInput, pooledOutput, axes } = findCamHead(g, targetTensor);
    const dPooled = emitBackward(b, { target: targetTensor, seed: weight, wrt: [pooledOutput], rulesFor: gradientRules, params, registry }).get(pooledOutput)!;
    // d(target)/d(pooled) = w_c, so Σ_k w_ck A_k is the channel sum of A ⊙ that signal (no bias, no ReLU).
    const aShape = b.shapeOf(pooledInput);
    const layout = camLayout(aShape, viewShape, axes);
    if (!layout) throw new FeatureVisError('InvalidParams', `CAM: the pooled tensor '${pooledInput}' [${aShape.join(', ')}] is not a feature map or a patch-token sequence`);
    const A = channelsFirst(b, pooledInput, aShape, layout);
    const aView = b.shapeOf(A);
    const weights = b.reshape(dPooled, [aView[0], aView[1], ...aView.slice(2).map(() => 1)]);
    relevance = upsample(b, b.reduce('ReduceSum', b.mul(A, weights), [1], true), viewShape);
  } else if (plan.kind === 'feature-match') {
    g.outputs = [];
    const seed = b.sub(targetTensor, weight);
    relevance = emitBackward(b, { target: targetTensor, seed, wrt: [input], rulesFor: gradientRules, params, registry }).get(input)!;
  } else if (plan.kind === 'features') {
    g.outputs = [];
    relevance = targetTensor;
  } else {
    const layer = plan.layer;
    // The pooled axes of a CAM head tell an (N, H, W, C) map from (N, C, H, W) when the shape cannot.
    let pooledAxes: number[] | undefined;
    try {
      const head = findCamHead(g, targetTensor);
      if (head.pooledInput === layer) pooledAxes = head.axes;
    } catch {
      // no pooling head: the shape decides
    }
    const layout = b.shapes.has(layer) ? camLayout(b.shapeOf(layer), viewShape, pooledAxes) : undefined;
    if (!layout) {
      throw new FeatureVisError('InvalidParams', `layer '${layer}' is not a feature map with spatial axes ((N, C, …), (N, H, W, C) or patch tokens (N, T, C)); pick a convolutional layer's or a transformer block's output`);
    }
    const dA = emitBackward(b, { target: targetTensor, seed: weight, wrt: [layer], rulesFor: gradientRules, params, registry }).get(layer)!;
    // Channels-last maps and token sequences are viewed as (N, C, h, w); extra tokens (class, registers) are dropped.
    const A = channelsFirst(b, layer, b.shapeOf(layer), layout);
    const rank = b.shapeOf(A).length;
    const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    const alphas = b.reduce('ReduceMean', channelsFirst(b, dA, b.shapeOf(layer), layout), spatialAxes, true);
    const map = b.relu(b.reduce('ReduceSum', b.mul(alphas, A), [1], true));
    relevance = upsample(b, map, viewShape);
    if (plan.guided) {
      const guidedRules = () => ({ activation: 'guided', linear: 'gradient' }) as NodeRules;
      const guided = emitBackward(b, { target: targetTensor, seed: weight, wrt: [input], rulesFor: guidedRules, params, registry }).get(input)!;
      // (N, H, W, C) guided signal times the (N, 1, H, W) map: bring the map to (N, H, W, 1) first.
      const cam = inShape.length === 4 && inputLayout === 'NHWC' ? b.op('Transpose', [relevance], { perm: attr.ints([0, 2, 3, 1]) }) : relevance;
      relevance = b.mul(guided, cam);
    }
  }
  g.nodes.push({ name: 'fv/relevance_out', op: 'Identity', domain: '', inputs: [relevance], outputs: [RELEVANCE], attrs: new Map() });
  b.addOutput(RELEVANCE);
  b.addOutput(targetTensor);
  if (topIndex) {
    g.nodes.push({ name: 'fv/top_out', op: 'Identity', domain: '', inputs: [topIndex], outputs: [TOP_INDEX], attrs: new Map() });
    b.addOutput(TOP_INDEX, DataType.INT64);
  }
  // ONNX requires graph inputs to be used; unused hyper-parameter inputs are fed anyway, so keep them referenced.
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  const extra = Object.values(INPUT_NAMES).filter((n) => used.has(n));
  g.inputs = g.inputs.filter((i) => !Object.values(INPUT_NAMES).includes(i.name as never) || used.has(i.name));
  const compiled: Model = { ...model, opsets: liftOpset(model), graph: g };
  return { bytes: encodeModel(compiled), inputs: extra, targetTensor, relevance: RELEVANCE, topIndex: topIndex ? TOP_INDEX : undefined };
}

export function liftOpset(model: Model) {
  return model.opsets.map((o) => (o.domain === '' || o.domain === 'ai.onnx' ? { domain: '', version: Math.max(o.version, COMPILED_OPSET) } : o));
}

/** Bilinear (half-pixel, as torch's align_corners=False) resize of an (N,1,…) map to the spatial size of the input's (N, C, …) view. */
function upsample(b: GraphBuilder, map: string, inShape: number[]): string {
  const sizes = [inShape[0], 1, ...inShape.slice(2)];
  return b.op('Resize', [map, '', '', b.ints(sizes, 'sizes')], {
    mode: attr.s('linear'), coordinate_transformation_mode: attr.s('half_pixel'),
  });
}

const HEAD_PASS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

/**
 * CAM needs global average pooling followed (through reshapes) by a dense layer producing the target; `axes` are
 * the pooled axes (they tell channels-first maps from channels-last maps and token sequences).
 */
export function findCamHead(g: Graph, target: string): { pooledInput: string; pooledOutput: string; axes?: number[] } {
  const byOutput = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) byOutput.set(o, n);
  let node = byOutput.get(target);
  const fail = () => new FeatureVisError('InvalidParams',
    `CAM needs a head of global average pooling → dense layer producing '${target}'; this model has none there. Use grad-cam instead.`);
  if (!node || (node.op !== 'Gemm' && node.op !== 'MatMul')) throw fail();
  node = byOutput.get(node.inputs[0]);
  while (node && HEAD_PASS.has(node.op)) node = byOutput.get(node.inputs[0]);
  if (!node) throw fail();
  if (node.op === 'GlobalAveragePool') return { pooledInput: node.inputs[0], pooledOutput: node.outputs[0] };
  if (node.op === 'ReduceMean') {
    const axes = node.inputs[1] ? g.initializers.get(node.inputs[1])?.numbers() : getInts(node, 'axes');
    return { pooledInput: node.inputs[0], pooledOutput: node.outputs[0], axes: axes?.length ? axes : undefined };
  }
  throw fail();
}

/**
 * Default Grad-CAM layer: the input of the last global pooling, else (transformers with a class-token head) the
 * tokens entering the last attention, else the last 4-D tensor with spatial extent.
 */
export function defaultCamLayer(g: Graph, shapes: Map<string, number[]>, target: string): string {
  try {
    return findCamHead(g, target).pooledInput;
  } catch {
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.op === 'GlobalAveragePool' || n.op === 'GlobalMaxPool') return n.inputs[0];
    }
    const tokens = tokenCamLayer(g, shapes);
    if (tokens) return tokens;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const s = shapes.get(g.nodes[i].outputs[0]);
      if (s && s.length === 4 && s[2] * s[3] > 1) return g.nodes[i].outputs[0];
    }
    throw new FeatureVisError('InvalidParams', 'no convolutional feature map found for Grad-CAM; give --layer TENSOR');
  }
}
