/**
 * Grad-CAM (Selvaraju et al. 2017): ReLU(Σ_k α_k A_k) with α_k the spatial mean of the gradient at the layer,
 * upsampled; guided Grad-CAM multiplies it by guided backpropagation. `gradientCamPlan` is the shared skeleton
 * (layer check, layouts, the gradient at the layer) that Grad-CAM++ reuses with its own channel weights.
 */
import { attr, type Graph } from '../ir/graph';
import type { GraphBuilder } from '../ir/builder';
import type { NodeRules } from '../backward/types';
import { paramError } from '../errors';
import { camLayout, channelsFirst, type CamLayout } from '../cam-layout';
import { findCamHead, upsample } from './cam-head';
import type { GraphPlan } from './types';

const gradientRules = (): NodeRules => ({ activation: 'gradient', linear: 'gradient' });
const guidedRules = (): NodeRules => ({ activation: 'guided', linear: 'gradient' });

/**
 * The layout of a CAM layer: the pooled axes of a CAM head reading it tell an (N, H, W, C) map from (N, C, H, W)
 * when the shape cannot. Undefined when the tensor has no spatial axes (a clear error is the caller's).
 */
export function camLayerLayout(graph: Graph, target: string, layer: string, shape: number[], viewShape: number[]): CamLayout | undefined {
  let pooledAxes: number[] | undefined;
  try {
    const head = findCamHead(graph, target);
    if (head.pooledInput === layer) pooledAxes = head.axes;
  } catch {
    // no pooling head: the shape decides
  }
  return camLayout(shape, viewShape, pooledAxes);
}

export function checkLayer(shapes: ReadonlyMap<string, number[]>, layer: string): void {
  if (!shapes.has(layer)) throw paramError('layer', `is not a tensor of this model: no tensor named '${layer}' (the model inspector and 'featurevis layers' list them)`);
}

export const NOT_SPATIAL = (layer: string) => paramError('layer',
  `'${layer}' is not a feature map with spatial axes ((N, C, …), (N, H, W, C) or patch tokens (N, T, C)); pick a convolutional layer's or a transformer block's output`);

/** Channel weights (N, C, 1, …) from the (N, C, …) views of the activation A and its gradient dA. */
export type ChannelWeights = (b: GraphBuilder, A: string, dA: string, spatialAxes: number[]) => string;

const meanGradient: ChannelWeights = (b, _A, dA, axes) => b.reduce('ReduceMean', dA, axes, true);

/** ReLU(Σ_k w_k A_k) upsampled to the input, w_k from `weights`; `guided` multiplies by guided backpropagation. */
export function gradientCamPlan(id: string, layer: string, weights: ChannelWeights, guided: boolean): GraphPlan {
  return {
    key: `${id}|${layer}|guided=${guided}`,
    foldBatchNorm: false,
    keep: [layer],
    check(_graph, shapes) {
      checkLayer(shapes, layer);
    },
    emit({ b, graph, target, weight, input, inShape, viewShape, layout: inputLayout, backward }) {
      const layout = b.shapes.has(layer) ? camLayerLayout(graph, target, layer, b.shapeOf(layer), viewShape) : undefined;
      if (!layout) throw NOT_SPATIAL(layer);
      const dA = backward(weight, [layer], gradientRules).get(layer)!;
      // Channels-last maps and token sequences are viewed as (N, C, h, w); extra tokens (class, registers) are dropped.
      const A = channelsFirst(b, layer, b.shapeOf(layer), layout);
      const rank = b.shapeOf(A).length;
      const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      const w = weights(b, A, channelsFirst(b, dA, b.shapeOf(layer), layout), spatialAxes);
      const map = upsample(b, b.relu(b.reduce('ReduceSum', b.mul(w, A), [1], true)), viewShape);
      if (!guided) return map;
      const signal = backward(weight, [input], guidedRules).get(input)!;
      // (N, H, W, C) guided signal times the (N, 1, H, W) map: bring the map to (N, H, W, 1) first.
      const cam = inShape.length === 4 && inputLayout === 'NHWC' ? b.op('Transpose', [map], { perm: attr.ints([0, 2, 3, 1]) }) : map;
      return b.mul(signal, cam);
    },
  };
}

export function gradCamPlan(layer: string, guided: boolean): GraphPlan {
  return gradientCamPlan('grad-cam', layer, meanGradient, guided);
}
