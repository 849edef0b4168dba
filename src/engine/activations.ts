/**
 * A layer's feature maps for one input (the activations view, the code hovers): one forward pass reads the layer,
 * viewed as (N, C, h, w) as the CAM methods view it (channels-last and token layouts handled by layer-view.ts),
 * and its channels are ranked by mean or max activation over item 0.
 */
import type { TensorData } from '../protocol/types';
import type { ActivationChannel, ActivationSort } from '../protocol/messages';
import { layerActivation } from './attribution/layer-view';
import { invalidParams } from './errors';
import type { LoadedModel } from './model';
import type { MethodRunContext } from './methods/run-context';

export const MAX_TOP = 1024;

/** Channel statistics of item 0 of an (N, C, h, w) activation, the `top` strongest by `sort` (index: ascending). */
export function rankChannels(A: TensorData, top: number, sort: ActivationSort): ActivationChannel[] {
  const [, C, h, w] = A.dims;
  const plane = h * w;
  const all = Array.from({ length: C }, (_, index) => {
    const map = A.data.slice(index * plane, (index + 1) * plane);
    let sum = 0, max = -Infinity;
    for (const v of map) { sum += v; if (v > max) max = v; }
    return { index, mean: sum / plane, max, map: { data: map, dims: [h, w] } };
  });
  // The top k are the strongest by the chosen statistic; "index" keeps the strongest by mean, shown in channel order.
  const key = sort === 'max' ? (c: ActivationChannel) => c.max : (c: ActivationChannel) => c.mean;
  const ranked = all.sort((a, b) => key(b) - key(a) || a.index - b.index).slice(0, top);
  return sort === 'index' ? ranked.sort((a, b) => a.index - b.index) : ranked;
}

export async function layerActivations(model: LoadedModel, input: TensorData, tensor: string, top = 16, sort: ActivationSort = 'mean'): Promise<{ tensor: string; shape: number[]; channels: ActivationChannel[] }> {
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw invalidParams(`top must be an integer in 1..${MAX_TOP}; got ${top}`);
  if (!['mean', 'max', 'index'].includes(sort)) throw invalidParams(`sort must be mean, max or index; got '${String(sort)}'`);
  // layerActivation reads only the model and the input of a run context; nothing here runs a method.
  const ctx = { model, input } as Pick<MethodRunContext, 'model' | 'input'> as MethodRunContext;
  const { layer, A } = await layerActivation(ctx, tensor);
  return { tensor: layer, shape: A.dims, channels: rankChannels(A, top, sort) };
}
