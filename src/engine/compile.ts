/**
 * Turns (prepared model graph, plan, target tensor) into one ONNX model whose outputs include the explanation.
 * The target weighting and every rule hyper-parameter are graph inputs (graph-inputs.ts), so one compiled session
 * serves every class, unit and slider position; `feeds(values)` fills them for any caller.
 */
import type { TensorData } from '../protocol/types';
import { GraphBuilder } from './ir/builder';
import { attr, cloneGraph, dataInputs, defaultOpset, type Graph, type Model, type Node } from './ir/graph';
import { COMPILED_OPSET } from './ir/canonicalize';
import { emitBackward } from './backward/backward';
import type { RuleRegistry } from './backward/registry';
import type { RuleParams } from './backward/types';
import * as ort from 'onnxruntime-node';
import { encodeModel, externalDataOptions, externalFolderOf } from './onnx/codec';
import { DataType } from './ir/tensor';
import { boundShape as layoutBoundShape, channelsFirstDims, firstLayerBoundShape, type Layout } from './layout';
import { feeds, GraphInputs, tensorInput, type FeedValues, type GraphInput } from './graph-inputs';
import type { EmitContext, GraphPlan } from './plans/types';

export const RELEVANCE = 'fv_relevance';
/** For 2-D (batch, classes) targets: each item's arg-max class, so "explain the prediction" needs one run. */
export const TOP_INDEX = 'fv_top_index';

export interface CompileOptions {
  /** The model input's layout (zB bounds and CAM maps are laid out against its (N, C, …) view). */
  layout?: Layout;
  /**
   * Spatial targets (segmentation): add fv_class_select ⊙ onehot(argmax over axis 1) ⊙ fv_region to the weighting,
   * so "class K where the model predicts it" needs no forward pass first (see dense-targets.ts).
   */
  argmaxSelect?: boolean;
  /**
   * Weights left in the model's file stay there: the bytes name them as external data (no second copy of the weights
   * in this process), so the session must be made by createCompiledSession.
   */
  externalData?: boolean;
}

export interface CompiledGraph {
  bytes: Uint8Array;
  /** The folder `bytes` read external data from (CompileOptions.externalData), for createCompiledSession. */
  externalFolder?: string;
  /** The graph inputs besides the model input, as declared by the compiler, the plan and the rules. */
  inputs: GraphInput[];
  targetTensor: string;
  relevance: string;
  /** Output with each item's arg-max class, for 2-D targets. */
  topIndex?: string;
}

/** Every declared input of a compiled graph, filled from `values` (the model input is the caller's). */
export function compiledFeeds(compiled: CompiledGraph, values: FeedValues): Map<string, TensorData> {
  return feeds(compiled.inputs, values);
}

/** Conv/Gemm/MatMul (OpTraits.weighted) nodes reached from the input without passing another such layer. */
export function firstLinearNodes(g: Graph, input: string, registry: RuleRegistry): Set<Node> {
  const first = new Set<Node>();
  const reached = new Set([input]);
  for (const n of g.nodes) {
    if (!n.inputs.some((i) => reached.has(i))) continue;
    if (n.domain === '' && registry.get(n.op)?.traits?.weighted) first.add(n);
    else for (const o of n.outputs) if (o) reached.add(o);
  }
  return first;
}

/** The target weighting: fv_target_weight, plus the in-graph top class (2-D targets) or the dense selection. */
function targetWeighting(b: GraphBuilder, inputs: GraphInputs, target: string, argmaxSelect: boolean): { weight: string; topIndex?: string } {
  const shape = b.shapeOf(target);
  const weight = inputs.declare(tensorInput('fv_target_weight', shape, (v) => v.weights));
  const isMax = () => b.op('Cast', [b.op('Equal', [target, b.reduce('ReduceMax', target, [1], true)])], { to: attr.i(1) });
  if (shape.length === 2) {
    // weight + fv_top · onehot(argmax): with fv_top = 1 and a zero weighting this explains each item's top class.
    const top = inputs.declare({ name: 'fv_top', shape: [], bind: (v) => Float32Array.of(v.top ? 1 : 0) });
    return { weight: b.add(weight, b.mul(top, isMax())), topIndex: b.op('ArgMax', [target], { axis: attr.i(1), keepdims: attr.i(0) }) };
  }
  if (argmaxSelect && shape.length > 2) {
    const ones = shape.slice(2).map(() => 1);
    const select = inputs.declare(tensorInput('fv_class_select', [shape[0], shape[1], ...ones], (v) => v.dense?.select));
    const region = inputs.declare(tensorInput('fv_region', [1, 1, ...shape.slice(2)], (v) => v.dense?.region));
    return { weight: b.add(weight, b.mul(b.mul(select, isMax()), region)) };
  }
  return { weight };
}

/**
 * The zB box as graph inputs, fed in the input's layout: the live parameter `low` / `high` when set, else the
 * normalised pixel bounds per channel. Where the first layer reads them in another layout (an NHWC model's
 * transposed Conv input) they are reshaped on first use, so methods without zB never declare them.
 */
function boundInput(b: GraphBuilder, inputs: GraphInputs, which: 'low' | 'high', shape: number[], firstLayerShape: number[] | undefined): string {
  const n = shape.reduce((a, c) => a * c, 1);
  const name = inputs.declare({
    name: `fv_${which}`, shape,
    bind: ({ params, pixelBounds }) => {
      const given = params[which];
      if (typeof given === 'number' && Number.isFinite(given)) return new Float32Array(n).fill(given);
      const fallback = pixelBounds?.[which] ?? [which === 'low' ? 0 : 1];
      return Float32Array.from({ length: n }, (_, i) => fallback[i] ?? fallback[0]);
    },
  });
  return firstLayerShape ? b.memo(`zb/${name}`, () => b.reshape(name, firstLayerShape)) : name;
}

export function compileGraph(model: Model, prepared: Graph, shapes: Map<string, number[]>, registry: RuleRegistry,
  plan: GraphPlan, targetTensor: string, options: CompileOptions = {}): CompiledGraph {
  const layout = options.layout ?? 'NCHW';
  const g = cloneGraph(prepared);
  const b = new GraphBuilder(g, Math.max(defaultOpset(model), COMPILED_OPSET), new Map(shapes));
  const inputs = new GraphInputs((name, shape) => b.addInput(name, shape));
  const input = dataInputs(g)[0].name;
  const inShape = b.shapeOf(input);
  const { weight, topIndex } = targetWeighting(b, inputs, targetTensor, options.argmaxSelect === true);
  const firstLinear = firstLinearNodes(g, input, registry);
  const zbShape = firstLayerBoundShape(g, b.shapes, input, layout, firstLinear);
  const ctx: EmitContext = {
    b, graph: g, input, inShape, viewShape: channelsFirstDims(inShape, layout), layout, target: targetTensor, weight, inputs, firstLinear,
    backward(seed, wrt, rulesFor, o = {}) {
      const params: RuleParams = {
        betaIsZero: o.betaIsZero === true,
        live: (name) => inputs.live(name),
        bound: (which) => boundInput(b, inputs, which, layoutBoundShape(inShape, layout), zbShape),
      };
      return emitBackward(b, { target: targetTensor, seed, wrt, rulesFor, params, registry });
    },
    dropModelOutputs: () => void (g.outputs = []),
  };
  const relevance = plan.emit(ctx);
  g.nodes.push({ name: 'fv/relevance_out', op: 'Identity', domain: '', inputs: [relevance], outputs: [RELEVANCE], attrs: new Map() });
  b.addOutput(RELEVANCE);
  b.addOutput(targetTensor);
  if (topIndex) {
    g.nodes.push({ name: 'fv/top_out', op: 'Identity', domain: '', inputs: [topIndex], outputs: [TOP_INDEX], attrs: new Map() });
    b.addOutput(TOP_INDEX, DataType.INT64);
  }
  // ONNX requires graph inputs to be read: a declared input no emitted node reads (the weighting of a features plan) goes.
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  const unread = new Set(inputs.all().filter((i) => !read.has(i.name)).map((i) => i.name));
  g.inputs = g.inputs.filter((i) => !unread.has(i.name));
  const used = inputs.all().filter((i) => !unread.has(i.name));
  const compiled: Model = { ...model, opsets: liftOpset(model), graph: g };
  const externalFolder = options.externalData ? externalFolderOf(compiled) : undefined;
  return { bytes: encodeModel(compiled, { externalFolder }), externalFolder, inputs: used, targetTensor, relevance: RELEVANCE, topIndex: topIndex ? TOP_INDEX : undefined };
}

/** The session of a compiled graph, told where its external data lies. */
export function createCompiledSession(compiled: Pick<CompiledGraph, 'bytes' | 'externalFolder'>, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const extra = externalDataOptions(compiled.externalFolder).extra;
  if (!extra) return ort.InferenceSession.create(compiled.bytes, options);
  const given = (options.extra ?? {}) as Record<string, Record<string, unknown>>;
  return ort.InferenceSession.create(compiled.bytes, { ...options, extra: { ...given, session: { ...given.session, ...(extra.session as object) } } });
}

export function liftOpset(model: Model) {
  return model.opsets.map((o) => (o.domain === '' || o.domain === 'ai.onnx' ? { domain: '', version: Math.max(o.version, COMPILED_OPSET) } : o));
}
