/**
 * Grad-CAM (Selvaraju et al. 2017): ReLU(Σ_k α_k A_k) with α_k the spatial mean of the gradient at the layer,
 * upsampled; guided Grad-CAM multiplies it by guided backpropagation.
 */
import { attr } from '../ir/graph';
import type { NodeRules } from '../backward/types';
import { paramError } from '../errors';
import { camLayout, channelsFirst } from '../cam-layout';
import { findCamHead, upsample } from './cam-head';
import type { GraphPlan } from './types';

const gradientRules = (): NodeRules => ({ activation: 'gradient', linear: 'gradient' });
const guidedRules = (): NodeRules => ({ activation: 'guided', linear: 'gradient' });

export function gradCamPlan(layer: string, guided: boolean): GraphPlan {
  return {
    key: `grad-cam|${layer}|guided=${guided}`,
    foldBatchNorm: false,
    keep: [layer],
    check(_graph, shapes) {
      if (!shapes.has(layer)) throw paramError('layer', `is not a tensor of this model: no tensor named '${layer}' (the model inspector and 'featurevis layers' list them)`);
    },
    emit({ b, graph, target, weight, input, inShape, viewShape, layout: inputLayout, backward }) {
      // The pooled axes of a CAM head tell an (N, H, W, C) map from (N, C, H, W) when the shape cannot.
      let pooledAxes: number[] | undefined;
      try {
        const head = findCamHead(graph, target);
        if (head.pooledInput === layer) pooledAxes = head.axes;
      } catch {
        // no pooling head: the shape decides
      }
      const layout = b.shapes.has(layer) ? camLayout(b.shapeOf(layer), viewShape, pooledAxes) : undefined;
      if (!layout) {
        throw paramError('layer', `'${layer}' is not a feature map with spatial axes ((N, C, …), (N, H, W, C) or patch tokens (N, T, C)); pick a convolutional layer's or a transformer block's output`);
      }
      const dA = backward(weight, [layer], gradientRules).get(layer)!;
      // Channels-last maps and token sequences are viewed as (N, C, h, w); extra tokens (class, registers) are dropped.
      const A = channelsFirst(b, layer, b.shapeOf(layer), layout);
      const rank = b.shapeOf(A).length;
      const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      const alphas = b.reduce('ReduceMean', channelsFirst(b, dA, b.shapeOf(layer), layout), spatialAxes, true);
      const map = upsample(b, b.relu(b.reduce('ReduceSum', b.mul(alphas, A), [1], true)), viewShape);
      if (!guided) return map;
      const signal = backward(weight, [input], guidedRules).get(input)!;
      // (N, H, W, C) guided signal times the (N, 1, H, W) map: bring the map to (N, H, W, 1) first.
      const cam = inShape.length === 4 && inputLayout === 'NHWC' ? b.op('Transpose', [map], { perm: attr.ints([0, 2, 3, 1]) }) : map;
      return b.mul(signal, cam);
    },
  };
}
