/**
 * Target scores of modified copies of the input, for the input-modification methods (Score-CAM, RISE): batched
 * forward passes on the (N, C, …) view (channels-last models get each batch transposed back, as occlusion does).
 * The score is the target class's softmax probability for a class target on (N, K) logits, the raw target value
 * Σ weighting ⊙ tensor otherwise (units, weightings, dense/segmentation targets).
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../../protocol/types';
import type { MethodRunContext } from '../methods/run-context';
import { resolveTarget, logitsTensor } from '../targets';
import { batchSize, targetSession } from '../occlusion/batching';
import { isChannelsLast, nchwToNhwc, toChannelsFirst } from '../layout';
import { invalidParams } from '../errors';

export interface Scorer {
  /** The (N, C, …) view of the input. */
  view: TensorData;
  /** Rows per forward pass (a fixed batch dimension: exactly that). */
  rows: number;
  kind: 'probability' | 'value';
  tensor: string;
  description: string;
  /** Per item: the raw target value and the score of the clean input. */
  cleanValue: number[];
  cleanScore: number[];
  /** Scores of the first `count` rows of `batch` (rows × item size, the view's layout), all explaining `item`. */
  score(batch: Float32Array, count: number, item: number): Promise<number[]>;
}

export async function openScorer(ctx: MethodRunContext, requestedBatch: number, jobs: number): Promise<Scorer> {
  const { model } = ctx;
  const pre = model.preprocessing();
  const channelsLast = isChannelsLast(ctx.input.dims, pre.layout);
  const view = toChannelsFirst(ctx.input, pre.layout);
  const [N, ...item] = view.dims;
  const per = item.reduce((a, b) => a * b, 1);
  const prepared = await model.prepare(ctx.input.dims, false);
  const target = resolveTarget(ctx.target, prepared.graph, prepared.shapes, model.labels);
  if (target.tensor === model.inputName) throw invalidParams('the target is the input itself; choose a class, a unit of a layer, or an output weighting');
  const probability = (ctx.target.kind === 'class' || ctx.target.kind === 'label') && target.tensor === logitsTensor(prepared.graph)
    && prepared.shapes.get(target.tensor)?.length === 2;
  const session = await targetSession(model, target.tensor);
  const w = target.weights.data;
  const perTarget = w.length / N;
  const rows = batchSize(requestedBatch, per, jobs, model.fixedBatch);

  const forward = async (data: Float32Array, n: number): Promise<Float32Array> => {
    const x = data.subarray(0, n * per);
    const feed = channelsLast ? new ort.Tensor('float32', nchwToNhwc(x, [n, ...item]), [n, ...item.slice(1), item[0]]) : new ort.Tensor('float32', x, [n, ...item]);
    const out = await session.run({ [model.inputName]: feed }, [target.tensor]);
    const t = out[target.tensor];
    const result = Float32Array.from(t.data as Float32Array);
    t.dispose();
    if (result.length !== n * perTarget) throw invalidParams(`the target tensor '${target.tensor}' has ${result.length / n} values per item in batched runs but ${perTarget} for the input; this method needs a target whose size per item does not depend on the batch`);
    return result;
  };
  const rowScore = (out: Float32Array, r: number, b: number, asProbability: boolean): number => {
    const o = out.subarray(r * perTarget, (r + 1) * perTarget);
    const wb = w.subarray(b * perTarget, (b + 1) * perTarget);
    let s = 0;
    if (!asProbability) {
      for (let i = 0; i < perTarget; i++) s += o[i] * wb[i];
      return s;
    }
    let max = -Infinity;
    for (let i = 0; i < perTarget; i++) max = Math.max(max, o[i]);
    let z = 0;
    for (let i = 0; i < perTarget; i++) { const e = Math.exp(o[i] - max); z += e; s += e * wb[i]; }
    return s / z;
  };

  // The clean input, padded to the fixed batch where there is one.
  const cleanRows = model.fixedBatch ?? N;
  const cleanData = new Float32Array(cleanRows * per);
  for (let r = 0; r < cleanRows; r++) cleanData.set(view.data.subarray((r % N) * per, (r % N + 1) * per), r * per);
  const clean = await forward(cleanData, cleanRows);
  const cleanValue = Array.from({ length: N }, (_, b) => rowScore(clean, b, b, false));
  const cleanScore = Array.from({ length: N }, (_, b) => rowScore(clean, b, b, probability));
  return {
    view, rows, kind: probability ? 'probability' : 'value', tensor: target.tensor, description: target.description, cleanValue, cleanScore,
    async score(batch, count, b) {
      const out = await forward(batch, model.fixedBatch ?? count);
      return Array.from({ length: count }, (_, r) => rowScore(out, r, b, probability));
    },
  };
}
