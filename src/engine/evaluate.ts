/**
 * Engine.evaluate: for each batch item, the method's explanation scored by each requested metric
 * (src/engine/metrics/). Each MetricResult streams through `Progress.result` as soon as it is known; the returned
 * list holds them all, in item-then-metric order. Deterministic given `req.seed` (item b draws from a seed derived
 * from it and b).
 */
import * as ort from 'onnxruntime-node';
import type { MetricResult, ParamValues, Progress, TargetSpec, TensorData } from '../protocol/types';
import type { Engine } from './engine';
import type { LoadedModel } from './model';
import type { CancellationToken } from './methods/run-context';
import type { EvaluateRequest, Metric, MetricContext } from './metrics/types';
import { metrics } from './metrics';
import { parseParams } from './methods/params';
import { methodParams } from './method-params';
import { cancelled, invalidInput, invalidParams } from './errors';
import { logitsTensor, resolveTarget } from './targets';
import { targetSession } from './occlusion/batching';

/** The metrics requested, each with its validated parameters (fails before any work on an unknown id or bad value). */
function requested(req: EvaluateRequest): { metric: Metric; params: Record<string, unknown>; seed?: number }[] {
  if (req.metrics.length === 0) throw invalidParams(`no metrics requested; available: ${metrics.all().map((m) => m.id).join(', ')}`);
  return req.metrics.map(({ id, params, seed }) => {
    const metric = metrics.get(id);
    if (!metric) throw invalidParams(`unknown metric '${id}'; available: ${metrics.all().map((m) => m.id).join(', ')}`);
    return { metric, params: parseParams(metric.params, params ?? {}, `metric '${id}'`), seed };
  });
}

/** Batch item b of a tensor, as its own batch of one. */
export function itemOf(t: TensorData, b: number): TensorData {
  const per = t.data.length / t.dims[0];
  return { data: t.data.slice(b * per, (b + 1) * per), dims: [1, ...t.dims.slice(1)] };
}

/** The part of a batch target that concerns item b of n (a class per item, a weighting per item). */
function itemTarget(spec: TargetSpec | undefined, b: number, n: number): TargetSpec | undefined {
  if (!spec) return undefined;
  if (spec.kind === 'class' && Array.isArray(spec.index)) {
    if (spec.index.length !== 1 && spec.index.length !== n) throw invalidParams(`give one class or one per batch item (${n}); got ${spec.index.length}`);
    return { kind: 'class', index: spec.index.length === 1 ? spec.index[0] : spec.index[b] };
  }
  if (spec.kind === 'weights' && spec.weights.dims[0] === n && n > 1) return { ...spec, weights: itemOf(spec.weights, b) };
  return spec;
}

/** Seed of item b: the request's seed for item 0, decorrelated streams for the others. */
export function itemSeed(seed: number, b: number): number {
  return (seed + Math.imul(b, 0x9e3779b1)) >>> 0;
}

/**
 * The target's score for a batch of inputs through one forward session that fetches the target tensor: the softmax
 * probability when the weighting selects one class of 2-D logits, Σ w·t per row otherwise.
 */
export async function scorer(model: LoadedModel, item: TensorData, target: { tensor: string; weights: TensorData }): Promise<MetricContext['score']> {
  const prepared = await model.prepare(item.dims, false);
  const shape = prepared.shapes.get(target.tensor) ?? [];
  const w = target.weights.data;
  const nonzero: number[] = [];
  for (let i = 0; i < w.length && nonzero.length < 2; i++) if (w[i] !== 0) nonzero.push(i);
  const probability = target.tensor === logitsTensor(prepared.graph) && shape.length === 2 && nonzero.length === 1;
  const session = await targetSession(model, target.tensor);
  const per = item.data.length;
  const tPer = w.length;
  const fixed = model.fixedBatch;
  return async (batch, n) => {
    const out = new Float64Array(n);
    const chunk = fixed ?? n;
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      let data = batch.subarray(start * per, (start + rows) * per);
      if (fixed && rows < fixed) {
        // A fixed batch dimension: pad with copies of the first row (their scores are ignored).
        const padded = new Float32Array(fixed * per);
        padded.set(data);
        for (let r = rows; r < fixed; r++) padded.set(data.subarray(0, per), r * per);
        data = padded;
      }
      const res = await session.run({ [model.inputName]: new ort.Tensor('float32', data, [chunk, ...item.dims.slice(1)]) }, [target.tensor]);
      const t = res[target.tensor];
      const v = t.data as Float32Array;
      if (v.length !== chunk * tPer) {
        t.dispose();
        throw invalidParams(`the target tensor '${target.tensor}' has ${v.length / chunk} values per item in batched runs but ${tPer} for the input; metrics need a target whose size per item does not depend on the batch`);
      }
      for (let r = 0; r < rows; r++) {
        const o = r * tPer;
        if (probability) {
          let max = -Infinity;
          for (let i = 0; i < tPer; i++) max = Math.max(max, v[o + i]);
          let sum = 0;
          for (let i = 0; i < tPer; i++) sum += Math.exp(v[o + i] - max);
          out[start + r] = Math.exp(v[o + nonzero[0]] - max) / sum;
        } else {
          let s = 0;
          for (let i = 0; i < tPer; i++) s += v[o + i] * w[i];
          out[start + r] = s;
        }
      }
      t.dispose();
    }
    return out;
  };
}

export async function evaluate(engine: Engine, req: EvaluateRequest, token: CancellationToken, progress: (p: Progress) => void): Promise<MetricResult[]> {
  const todo = requested(req);
  const { model, input } = req;
  const N = input.dims[0];
  if (model.fixedBatch !== undefined && model.fixedBatch !== 1) {
    throw invalidInput(`evaluate explains one item at a time, but this model's input has a fixed batch of ${model.fixedBatch}; export it with a dynamic (or 1) batch dimension`);
  }
  const results: MetricResult[] = [];
  const total = N * todo.length;
  for (let b = 0; b < N; b++) {
    if (token.isCancellationRequested) throw cancelled();
    const item = itemOf(input, b);
    // The item's target as a weighting of one tensor (a top class, a region or a dense mask resolved here).
    const spec = await engine.runTarget({ model, input: item, method: req.method, target: itemTarget(req.target, b, N), region: req.region });
    const prepared = await model.prepare(item.dims, false);
    const r = spec.kind === 'weights' ? { tensor: spec.tensor, weights: spec.weights } : resolveTarget(spec, prepared.graph, prepared.shapes, model.labels);
    const target = { kind: 'weights' as const, tensor: r.tensor, weights: r.weights };
    const explanation = await engine.explain({ model, input: item, method: req.method, params: req.params, target }, token);
    const methodValues = methodParams(engine.method(req.method), req.params ?? {}) as ParamValues;
    const score = await scorer(model, item, target);
    for (let j = 0; j < todo.length; j++) {
      if (token.isCancellationRequested) throw cancelled();
      const { metric, params, seed } = todo[j];
      const done = b * todo.length + j;
      const t0 = performance.now();
      const head = { metric: metric.id, method: req.method, item: b };
      const skip = metric.notApplicable?.(req.method);
      let result: MetricResult;
      if (skip !== undefined) result = { ...head, value: Number.NaN, notApplicable: skip, ms: 0 };
      else {
        const ctx: MetricContext = {
          model, input: item, method: req.method, methodParams: methodValues, explanation, target, score, seed: seed ?? itemSeed(req.seed ?? 0, b), token,
          explain: async (x, m) => (await engine.explain({ model: m ?? model, input: x, method: req.method, params: req.params, target }, token)).relevance,
          // A metric's own progress (fraction of its work; a partial result) scaled into the whole evaluation.
          progress: (p) => progress({
            ...p, fraction: (done + Math.min(1, p.fraction ?? 0)) / total, message: p.message ?? `${metric.id}: item ${b + 1}/${N}`,
            ...(p.result ? { result: { ...p.result, ...head } } : {}),
          }),
        };
        const value = await metric.compute(ctx, params);
        result = { ...head, ...value, ms: performance.now() - t0 };
      }
      results.push(result);
      req.onResult?.(result);
      progress({ fraction: (done + 1) / total, message: `${metric.id}: item ${b + 1}/${N}`, result });
    }
  }
  return results;
}
