/**
 * A metric scores one item's explanation: faithfulness (deletion, insertion, pixel flipping, ROAD, infidelity),
 * robustness (max-sensitivity), sanity (cascading model-parameter randomisation) and conservation (completeness
 * for IG, Σ relevance for LRP). Each metric is one file of this folder exporting `metric`, found by name like the
 * methods; it declares its parameters with the same builders (../methods/params.ts).
 */
import type { ExplainResult, MetricInfo, MetricResult, ParamValues, Progress, TargetSpec, TensorData } from '../../protocol/types';
import type { LoadedModel } from '../model';
import type { ExplainRequest } from '../engine';
import type { CancellationToken } from '../methods/run-context';
import type { Param, ParamsOf } from '../methods/params';

export interface MetricContext {
  model: LoadedModel;
  /** The item being evaluated (batch size 1), in the model's input layout. */
  input: TensorData;
  /** The method being evaluated, its validated parameters, and its explanation of `input`. */
  method: string;
  methodParams: ParamValues;
  explanation: ExplainResult;
  /** The item's target, resolved to a weighting of `explanation.targetTensor`. */
  target: TargetSpec & { kind: 'weights' };
  /**
   * The target's score for `n` inputs laid out like `input` (batched through one forward session): the softmax
   * probability of the target class when the target weights one class logit, the raw target value otherwise.
   */
  score(batch: Float32Array, n: number): Promise<Float64Array>;
  /** The method being evaluated, same parameters and target, on other inputs (n items) or another model. */
  explain(input: TensorData, model?: LoadedModel): Promise<TensorData>;
  /** Seeds every random draw, so a run is reproducible. */
  seed: number;
  progress(p: Progress): void;
  token: CancellationToken;
}

/** What a metric computes; the evaluator adds the metric, method, item and time. */
export type MetricValue = Omit<MetricResult, 'metric' | 'method' | 'item' | 'ms'>;

export interface Metric extends Omit<MetricInfo, 'params'> {
  params: readonly Param[];
  /** Why this metric does not apply to a method (e.g. completeness only for integrated-gradients); undefined: it does. */
  notApplicable?(method: string): string | undefined;
  compute(ctx: MetricContext, params: Readonly<Record<string, unknown>>): Promise<MetricValue>;
}

export function defineMetric<const S extends readonly Param[]>(
  m: Omit<Metric, 'params' | 'compute'> & { params: S; compute(ctx: MetricContext, p: ParamsOf<S>): Promise<MetricValue> }): Metric {
  const { compute, ...info } = m;
  return { ...info, compute: (ctx, p) => compute(ctx, p as ParamsOf<S>) };
}

/**
 * One evaluation: a method's explanation of each input item, scored by each metric. Results stream through
 * `Progress.result` as each is known (the panel's Trust section draws them as they arrive).
 */
export interface EvaluateRequest extends ExplainRequest {
  /** Each metric may carry its own seed (the CLI's per-line seeds); otherwise it is derived from `seed` per item. */
  metrics: { id: string; params?: ParamValues; seed?: number }[];
  seed?: number;
  /** Called once per finished result (streamed `Progress.result`s may be partial: randomisation's steps). */
  onResult?(r: MetricResult): void;
}
