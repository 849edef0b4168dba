/**
 * CAM (Zhou et al. 2015): Σ_k w_ck A_k over the maps entering global average pooling → dense; d(target)/d(pooled)
 * is w_c, so the map is the channel sum of A ⊙ that signal (no bias, no ReLU), upsampled.
 */
import type { NodeRules } from '../backward/types';
import { FeatureVisError } from '../errors';
import { camLayout, channelsFirst } from '../cam-layout';
import { findCamHead, upsample } from './cam-head';
import type { GraphPlan } from './types';

const gradientRules = (): NodeRules => ({ activation: 'gradient', linear: 'gradient' });

export const CAM_PLAN: GraphPlan = {
  key: 'cam',
  foldBatchNorm: false,
  keep: [],
  check(graph, _shapes, _input, target) {
    findCamHead(graph, target);
  },
  emit({ b, graph, target, weight, viewShape, backward }) {
    const { pooledInput, pooledOutput, axes } = findCamHead(graph, target);
    const dPooled = backward(weight, [pooledOutput], gradientRules).get(pooledOutput)!;
    const aShape = b.shapeOf(pooledInput);
    const layout = camLayout(aShape, viewShape, axes);
    if (!layout) throw new FeatureVisError('InvalidParams', `CAM: the pooled tensor '${pooledInput}' [${aShape.join(', ')}] is not a feature map or a patch-token sequence`);
    const A = channelsFirst(b, pooledInput, aShape, layout);
    const aView = b.shapeOf(A);
    const weights = b.reshape(dPooled, [aView[0], aView[1], ...aView.slice(2).map(() => 1)]);
    return upsample(b, b.reduce('ReduceSum', b.mul(A, weights), [1], true), viewShape);
  },
};
