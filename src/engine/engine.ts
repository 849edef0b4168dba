/**
 * The engine's public API (used by the CLI, the background process and tests): open models, predict, explain.
 * Never imports vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DenseMap, ExplainResult, LayerInfo, LayerSource, MethodInfo, MetricInfo, MetricResult, ModelSummary, ParamValues, Prediction, Progress, Region, TargetSpec, TensorData } from '../protocol/types';
import { LoadedModel, type SessionSettings } from './model';
import { budgetBytes, SessionBudget } from './session-budget';
import { methods } from './methods';
import { metrics } from './metrics';
import type { EvaluateRequest } from './metrics/types';
import { evaluate } from './evaluate';
import { methodParams } from './method-params';

export { methodParams } from './method-params';
import { type CompiledMethod, type Method, type Needs, type ParamBag } from './methods/types';
import type { CancellationToken } from './methods/run-context';
import { FeatureVisError, invalidInput, invalidParams } from './errors';
import { resolveTarget, logitsTensor, type ResolvedTarget } from './targets';
import { applyDense, denseClassTarget, denseMap, denseSummary, describeDense } from './dense-targets';
import { targetSession } from './occlusion/batching';
import { producers, type Graph, type Node } from './ir/graph';
import type { Prepared } from './model';
import { compiledFeeds } from './compile';
import { defaultCamLayer, findCamHead } from './plans/cam-head';
import { graphKey } from './methods/params';
import { pixelBounds } from './preprocess';
import { DataType } from './ir/tensor';
import { perItemDot } from './batch-math';
import { nodesBetween } from './backward/backward';
import { defaultRegistry } from './backward/registry';
import { sourceMap, type SourceMapOptions } from './source/source-map';

/** The embedded ImageNet model, found relative to this file in the source tree and in bundles. */
export function defaultModelPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'assets', 'models', 'efficientnet-lite0.onnx');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new FeatureVisError('ModelLoadFailed', 'the embedded default model (assets/models/efficientnet-lite0.onnx) is missing from this installation');
}

export interface ExplainRequest {
  model: LoadedModel;
  input: TensorData;
  method: string;
  params?: ParamValues;
  target?: TargetSpec;
  /** Input pixels: restricts a target on a spatial tensor to this box (see dense-targets.ts). */
  region?: Region;
}

const NONE: CancellationToken = { isCancellationRequested: false };

export function checkInput(model: LoadedModel, input: TensorData): void {
  const dims = model.inputDims;
  if (input.dims.length !== dims.length) {
    throw invalidInput(`the input has shape [${input.dims.join(', ')}] but '${model.inputName}' expects rank ${dims.length} ([${dims.map((d) => d ?? '?').join(', ')}])`);
  }
  dims.forEach((d, i) => {
    if (typeof d === 'number' && d > 0 && d !== input.dims[i]) {
      throw invalidInput(`the input has shape [${input.dims.join(', ')}] but '${model.inputName}' expects [${dims.join(', ')}]`);
    }
  });
  if (input.data.length !== input.dims.reduce((a, b) => a * b, 1)) throw invalidInput('the input data length does not match its shape');
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i])) throw invalidInput(`the input contains ${Number.isNaN(input.data[i]) ? 'NaN' : 'an infinite value'} at element ${i}; clean the input before explaining it`);
  }
}

/** Open models kept (least recently used beyond this are closed); their sessions share one memory budget. */
const MAX_OPEN_MODELS = 8;
const MAX_SESSIONS = 12;

export class Engine {
  private readonly models = new Map<string, { mtimeMs: number; model: LoadedModel }>();
  private readonly sessions: SessionBudget;

  constructor(readonly settings: SessionSettings = {}) {
    this.sessions = new SessionBudget(MAX_SESSIONS, budgetBytes(settings.memoryBudgetMB));
  }

  /** The compiled-session budget shared by every open model. */
  get budget(): Pick<SessionBudget, 'keys' | 'heldBytes' | 'maxBytes'> {
    return this.sessions;
  }

  methods(): MethodInfo[] {
    return methods.infos();
  }

  metrics(): MetricInfo[] {
    return metrics.infos();
  }

  /** Scores a method's explanation of each item with each metric; results also stream through Progress.result. */
  evaluate(req: EvaluateRequest, token: CancellationToken = NONE, progress: (p: Progress) => void = () => undefined): Promise<MetricResult[]> {
    return evaluate(this, req, token, progress);
  }

  method(id: string): Method {
    const m = methods.get(id);
    if (!m) throw invalidParams(`unknown method '${id}'; available: ${methods.all().map((x) => x.id).join(', ')}`);
    return m;
  }

  /** Opens (or reuses, while the file is unchanged) a model. */
  open(file?: string): LoadedModel {
    const resolved = path.resolve(file ?? defaultModelPath());
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
    } catch {
      throw new FeatureVisError('ModelLoadFailed', `model file not found: ${resolved}`);
    }
    const cached = this.models.get(resolved);
    this.models.delete(resolved);
    if (cached && cached.mtimeMs === stat.mtimeMs) {
      this.models.set(resolved, cached);
      return cached.model;
    }
    if (cached) void cached.model.dispose();
    const model = LoadedModel.open(resolved, this.settings, this.sessions);
    this.models.set(resolved, { mtimeMs: stat.mtimeMs, model });
    for (const [file, m] of this.models) {
      if (this.models.size <= MAX_OPEN_MODELS) break;
      this.models.delete(file);
      void m.model.dispose();
    }
    return model;
  }

  /** Releases a model's sessions and forgets it (the next open reads the file again). */
  async close(file: string): Promise<void> {
    const resolved = path.resolve(file);
    const cached = this.models.get(resolved);
    this.models.delete(resolved);
    if (cached) await cached.model.dispose();
  }

  async forward(model: LoadedModel, input: TensorData): Promise<Record<string, TensorData>> {
    checkInput(model, input);
    const session = await model.forwardSession();
    const out = await session.run({ [model.inputName]: new ort.Tensor('float32', input.data, input.dims) });
    const result: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(out)) {
      result[k] = { data: Float32Array.from(t.data as Float32Array), dims: [...t.dims].map(Number) };
      t.dispose();
    }
    return result;
  }

  /** Top-k classes per batch item from the logits (softmax applied here if the model does not end in one). */
  async predict(model: LoadedModel, input: TensorData, top = 5): Promise<Prediction[][]> {
    const prepared = await model.prepare(input.dims, false);
    const logitsName = logitsTensor(prepared.graph);
    const outputs = await this.forward(model, input);
    const out = outputs[model.model.graph.outputs[0].name];
    const endsInSoftmax = logitsName !== model.model.graph.outputs[0].name;
    // Spatial outputs (segmentation): the classes present, with their share of pixels.
    if (out && out.dims.length > 2) return denseSummary(out, isProbability(prepared, model), model.labels, top);
    if (!out || out.dims.length !== 2) throw invalidParams(`predictions need an output (batch, classes, …); the model's output has shape [${out?.dims.join(', ')}]`);
    const [n, k] = out.dims;
    const result: Prediction[][] = [];
    for (let b = 0; b < n; b++) {
      const row = out.data.subarray(b * k, (b + 1) * k);
      let probs: Float64Array;
      if (endsInSoftmax) probs = Float64Array.from(row);
      else {
        const max = Math.max(...row);
        const exps = Float64Array.from(row, (v) => Math.exp(v - max));
        const sum = exps.reduce((a, v) => a + v, 0);
        probs = exps.map((v) => v / sum);
      }
      const order = [...probs.keys()].sort((i, j) => probs[j] - probs[i]).slice(0, top);
      result.push(order.map((i) => ({ index: i, label: model.labels?.[i], logit: row[i], probability: probs[i] })));
    }
    return result;
  }

  async explain(req: ExplainRequest, token: CancellationToken = NONE, progress: (p: Progress) => void = () => undefined): Promise<ExplainResult> {
    const m = this.method(req.method);
    checkInput(req.model, req.input);
    const params = methodParams(m, req.params ?? {});
    if (m.kind === 'run') {
      const target = await this.runTarget(req);
      const explain = (method: string, input: TensorData, t: TargetSpec, p?: ParamValues) =>
        this.explain({ model: req.model, input, method, params: p, target: t }, token);
      return m.run({ model: req.model, input: req.input, target, progress, token, explain }, params);
    }
    return this.explainCompiled(m, req, params);
  }

  /** Item 0's arg-max class map for a model with an (N, K, H, W) output (the panel's mask); null otherwise. */
  async denseMap(model: LoadedModel, input: TensorData): Promise<DenseMap | null> {
    const prepared = await model.prepare(input.dims, false);
    const name = model.model.graph.outputs[0].name;
    if (prepared.shapes.get(name)?.length !== 4) return null;
    const out = (await this.forward(model, input))[name];
    return denseMap(out, isProbability(prepared, model), model.labels);
  }

  /** A class target on a spatial output, without a target: every pixel's own predicted class. */
  private resolve(req: ExplainRequest, base: Prepared, spec: TargetSpec | undefined): ResolvedTarget {
    const logits = logitsTensor(base.graph);
    const shape = base.shapes.get(logits) ?? [];
    if (!spec && shape.length > 2) return denseClassTarget('predicted', logits, shape, req.input.dims, req.region, req.model.labels);
    return resolveTarget(spec ?? { kind: 'class', index: 0 }, base.graph, base.shapes, req.model.labels, req.region);
  }

  /** Methods with their own loop (and the evaluator) get a plain weighting: regions and dense arg-max masks are applied here. */
  async runTarget(req: ExplainRequest): Promise<TargetSpec> {
    const { model, input } = req;
    const base = await model.prepare(input.dims, false);
    const dense = (base.shapes.get(logitsTensor(base.graph))?.length ?? 0) > 2;
    const classLike = !req.target || req.target.kind === 'class' || req.target.kind === 'label';
    if (!req.region && !(dense && classLike)) return req.target ?? (await this.topClassTarget(model, input));
    const r = this.resolve(req, base, req.target ?? (dense ? undefined : await this.topClassTarget(model, input)));
    if (!r.dense) return { kind: 'weights', tensor: r.tensor, weights: r.weights };
    const session = await targetSession(model, r.tensor);
    const out = await session.run({ [model.inputName]: new ort.Tensor('float32', input.data, input.dims) }, [r.tensor]);
    const t = out[r.tensor];
    const weights = applyDense(r.dense, t.data as Float32Array, r.weights.dims).weights;
    t.dispose();
    return { kind: 'weights', tensor: r.tensor, weights: { data: weights, dims: r.weights.dims } };
  }

  private async topClassTarget(model: LoadedModel, input: TensorData): Promise<TargetSpec> {
    const preds = await this.predict(model, input, 1);
    return { kind: 'class', index: preds.map((p) => p[0].index) };
  }

  private async explainCompiled(m: CompiledMethod, req: ExplainRequest, params: ParamBag): Promise<ExplainResult> {
    const { model, input } = req;
    const dims = input.dims;
    const base = await model.prepare(dims, false);
    // Without a target, 2-D outputs explain each item's top class inside the same run (fv_top); others need a forward.
    const logits = logitsTensor(base.graph);
    const topInGraph = !req.target && base.shapes.get(logits)?.length === 2;
    const dense = !req.target && (base.shapes.get(logits)?.length ?? 0) > 2;
    const target = this.resolve(req, base, req.target ?? (topInGraph || dense ? undefined : await this.topClassTarget(model, input)));
    if (topInGraph) target.weights.data.fill(0);
    const plan = m.plan(params, { defaultLayer: () => defaultCamLayer(base.graph, base.shapes, target.tensor) });
    plan.check(base.graph, base.shapes, model.inputName, target.tensor);
    let cs;
    try {
      cs = await model.compiledSession(`${m.id}|${graphKey(m.params, params)}`, plan, target.tensor, dims, { argmaxSelect: !!target.dense });
    } catch (e) {
      if (e instanceof FeatureVisError && e.code === 'UnsupportedOp') {
        const working = workingMethods(base.graph, base.shapes, target.tensor, e.details.node);
        const hint = /^(If|Loop|Scan)$/.test(e.details.op ?? '') ? ' (control flow has no backward rule)' : '';
        throw new FeatureVisError('UnsupportedOp', `${e.message}${hint}; methods that still work on this model: ${working.join(', ')}`, { ...e.details, working });
      }
      throw e;
    }
    const values = compiledFeeds(cs.compiled, {
      params, weights: target.weights, top: topInGraph, dense: target.dense, pixelBounds: pixelBounds(model.preprocessing()),
    });
    const feeds: Record<string, ort.Tensor> = { [model.inputName]: new ort.Tensor('float32', input.data, dims) };
    for (const [name, t] of values) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const t0 = performance.now();
    const fetches = [cs.compiled.relevance, cs.compiled.targetTensor, ...(topInGraph && cs.compiled.topIndex ? [cs.compiled.topIndex] : [])];
    const out = await cs.session.run(feeds, fetches);
    const runMs = performance.now() - t0;
    const rel = out[cs.compiled.relevance];
    const tgt = out[cs.compiled.targetTensor];
    const relevance = { data: Float32Array.from(rel.data as Float32Array), dims: [...rel.dims].map(Number) };
    if (topInGraph) {
      const top = Array.from(out[cs.compiled.topIndex!].data as BigInt64Array, Number);
      const k = target.weights.dims[1];
      top.forEach((c, i) => (target.weights.data[i * k + c] = 1));
      target.description = `class ${top.map((c) => (model.labels?.[c] ? `${c} (${model.labels[c]})` : String(c))).join(', ')}`;
    }
    if (target.dense) {
      const { weights, pixels } = applyDense(target.dense, tgt.data as Float32Array, target.weights.dims);
      target.weights.data = weights;
      target.description = describeDense(target.dense, pixels);
    }
    const targetValue = perItemDot(tgt.data as Float32Array, target.weights.data, dims[0]);
    for (const t of Object.values(out)) t.dispose();
    return {
      method: m.id, relevance, targetValue, targetTensor: target.tensor,
      timings: { compileMs: cs.compileMs, runMs },
      extras: { target: target.description },
    };
  }

  /** Model facts for the inspector and the .onnx editor. */
  async summary(model: LoadedModel): Promise<ModelSummary> {
    const g = model.model.graph;
    const hist: Record<string, number> = {};
    for (const n of g.nodes) hist[n.op] = (hist[n.op] ?? 0) + 1;
    let params = 0;
    for (const t of g.initializers.values()) params += t.size;
    const dims = model.inputShapeFor(1);
    const prepared = await model.prepare(dims, false);
    const input = model.inputName;
    const target = logitsTensor(prepared.graph);
    const reasons = new Map<Needs, string | undefined>();
    const unavailable = methods.all().flatMap((m) => {
      // The reason depends only on what the method needs: each kind of need is checked once.
      const needs = m.needs ?? 'input-gradient';
      if (!reasons.has(needs)) reasons.set(needs, unavailableReason(needs, prepared.graph, prepared.shapes, input, target));
      const reason = reasons.get(needs);
      return reason ? [{ method: m.id, reason }] : [];
    });
    return {
      path: model.path, name: model.name, producer: `${model.model.producerName} ${model.model.producerVersion}`.trim(),
      opset: model.opset,
      inputs: g.inputs.filter((i) => !g.initializers.has(i.name)).map((i) => ({ name: i.name, dims: i.dims ?? [] })),
      outputs: g.outputs.map((o) => ({ name: o.name, dims: o.dims ?? [] })),
      parameterCount: params, opHistogram: hist, labels: model.labels, unavailable,
    };
  }

  /** Every node's output tensor with its shape at the model's default input size. */
  async layers(model: LoadedModel): Promise<LayerInfo[]> {
    const dims = model.inputShapeFor(1);
    const probe = await model.probe(dims);
    const g = model.model.graph;
    const out: LayerInfo[] = [];
    for (const n of g.nodes) {
      const o = n.outputs[0];
      // Shape arithmetic (int64) and constants are not layers a user would explain or target.
      if (!o || n.op === 'Constant' || probe.elemTypes.get(o) !== DataType.FLOAT) continue;
      // Learned values only: a ReduceMean's axes or a Reshape's shape (integer constants) are not parameters.
      const params = n.inputs.filter((i) => g.initializers.get(i)?.dataType === DataType.FLOAT).reduce((a, i) => a + g.initializers.get(i)!.size, 0);
      out.push({ tensor: o, node: n.name, op: n.op, shape: probe.shapes.get(o) ?? [], params });
    }
    return out;
  }

  /** Each layer's definition in the given Python files (the layer ↔ source map; see source/source-map.ts). */
  async sourceMap(model: LoadedModel, files: readonly string[], options: SourceMapOptions = {}): Promise<LayerSource[]> {
    return sourceMap(model.model, await this.layers(model), files, options);
  }

  async dispose(): Promise<void> {
    for (const { model } of this.models.values()) await model.dispose();
    this.models.clear();
  }
}

/** Whether the model's first output already is a probability (a final Softmax; LogSoftmax gives log-probabilities). */
function isProbability(p: Prepared, model: LoadedModel): boolean {
  return producers(p.graph).get(model.model.graph.outputs[0].name)?.op === 'Softmax';
}

/**
 * Why a method cannot run on this model (undefined: it can), from what it declares it needs: backward rules on
 * the path it walks back, or a CAM head.
 */
function unavailableReason(needs: Needs, g: Graph, shapes: ReadonlyMap<string, number[]>, input: string, target: string): string | undefined {
  const missingOn = (from: string) => nodesBetween(g, [from], target).filter((n) => !defaultRegistry.get(n.op) || n.domain !== '');
  const describe = (missing: Node[]) => `no backward rule for ${[...new Set(missing.map((n) => n.op))].join(', ')} (e.g. node '${missing[0].name}')`;
  try {
    if (needs === 'forward') return undefined;
    if (needs === 'layer-activation') return void defaultCamLayer(g, shapes, target);
    if (needs === 'cam-head') findCamHead(g, target);
    const missing = missingOn(needs === 'layer-gradient' ? defaultCamLayer(g, shapes, target) : input);
    return missing.length ? describe(missing) : undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Methods that still work when `badNode` has no backward rule: those whose backward pass does not reach it. */
function workingMethods(g: Graph, shapes: ReadonlyMap<string, number[]>, target: string, badNode: string | undefined): string[] {
  let layerPathWorks: boolean;
  let hasLayer = true;
  try {
    layerPathWorks = !nodesBetween(g, [defaultCamLayer(g, shapes, target)], target).some((n) => n.name === badNode);
  } catch {
    layerPathWorks = hasLayer = false; // no convolutional layer to weight: the CAMs do not apply either
  }
  return methods.all().filter((m) => m.needs === 'forward' || (m.needs === 'layer-activation' && hasLayer)
    || (m.needs === 'layer-gradient' && layerPathWorks)).map((m) => m.id);
}
