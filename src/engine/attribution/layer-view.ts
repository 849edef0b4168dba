/**
 * A layer's activation read by a forward pass and viewed as (N, C, h, w), as the CAM plans view it in the graph
 * (cam-layout.ts): channels-last maps transposed, patch tokens cut out of a token sequence and laid on their grid.
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../../protocol/types';
import type { MethodRunContext } from '../methods/run-context';
import { targetSession } from '../occlusion/batching';
import { logitsTensor } from '../targets';
import { camLayerLayout, checkLayer, NOT_SPATIAL } from '../plans/grad-cam';
import { defaultCamLayer } from '../plans/cam-head';
import { toChannelsFirst } from '../layout';
import type { CamLayout } from '../cam-layout';

export function viewChannelsFirst(data: Float32Array, shape: number[], layout: CamLayout): TensorData {
  if (layout.kind === 'channels-first') return { data, dims: shape };
  const [n, ...rest] = shape;
  const c = rest[rest.length - 1];
  const cells = layout.kind === 'tokens' ? layout.h * layout.w : rest.slice(0, -1).reduce((a, b) => a * b, 1);
  const skip = layout.kind === 'tokens' ? layout.extra : 0;
  const spatial = layout.kind === 'tokens' ? [layout.h, layout.w] : rest.slice(0, -1);
  const out = new Float32Array(n * c * cells);
  const rows = cells + skip;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < cells; p++) {
      for (let k = 0; k < c; k++) out[(b * c + k) * cells + p] = data[(b * rows + skip + p) * c + k];
    }
  }
  return { data: out, dims: [n, c, ...spatial] };
}

/** The activation of `layer` (default: the default CAM layer) on the input, as (N, C, h, w) with h, w ≥ 1. */
export async function layerActivation(ctx: MethodRunContext, layer: string | undefined): Promise<{ layer: string; A: TensorData }> {
  const { model } = ctx;
  const prepared = await model.prepare(ctx.input.dims, false);
  const target = logitsTensor(prepared.graph);
  const name = layer ?? defaultCamLayer(prepared.graph, prepared.shapes, target);
  checkLayer(prepared.shapes, name);
  const view = toChannelsFirst(ctx.input, model.preprocessing().layout).dims;
  const layout = camLayerLayout(prepared.graph, target, name, prepared.shapes.get(name)!, view);
  if (!layout || view.length !== 4) throw NOT_SPATIAL(name);
  const session = await targetSession(model, name);
  const out = await session.run({ [model.inputName]: new ort.Tensor('float32', ctx.input.data, ctx.input.dims) }, [name]);
  const t = out[name];
  const data = Float32Array.from(t.data as Float32Array);
  const dims = [...t.dims].map(Number);
  t.dispose();
  const A = viewChannelsFirst(data, dims, layout);
  if (A.dims.length !== 4) throw NOT_SPATIAL(name);
  return { layer: name, A };
}
