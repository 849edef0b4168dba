/**
 * Grad-CAM++ (Chattopadhyay et al. 2018) as pytorch-grad-cam's GradCAMPlusPlus computes it (the exp-score
 * simplification: powers of the plain gradient g at the layer): α = g² / (2g² + (Σ_ij A)·g³ + 1e-6), 0 where g = 0,
 * w_k = Σ_ij α·ReLU(g), map = ReLU(Σ_k w_k A_k) upsampled.
 */
import { gradientCamPlan, type ChannelWeights } from './grad-cam';
import type { GraphPlan } from './types';

const EPS = 1e-6;

const plusPlusWeights: ChannelWeights = (b, A, dA, axes) => {
  const g2 = b.mul(dA, dA);
  const g3 = b.mul(g2, dA);
  const sumA = b.reduce('ReduceSum', A, axes, true);
  const alpha = b.div(g2, b.add(b.add(b.mul(b.scalar(2), g2), b.mul(sumA, g3)), b.scalar(EPS)));
  // α·ReLU(g) only where g > 0: elsewhere the term is 0, and a vanishing denominator at g < 0 cannot give 0·∞.
  const positive = b.op('Greater', [dA, b.scalar(0)]);
  const terms = b.op('Where', [positive, b.mul(alpha, dA), b.scalar(0)]);
  return b.reduce('ReduceSum', terms, axes, true);
};

export function gradCamPlusPlusPlan(layer: string): GraphPlan {
  return gradientCamPlan('grad-cam-plus-plus', layer, plusPlusWeights, false);
}
