import { gradCamPlan } from '../plans/grad-cam';
import { layer } from './params';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'grad-cam',
  title: 'Grad-CAM',
  family: 'cam',
  output: 'map',
  summary: 'Selvaraju et al. 2017: ReLU(Σ_k α_k A_k) with α_k the mean gradient of channel k, upsampled.',
  params: [layer('layer', 'Layer', { help: 'feature map to weight (default: the last before global pooling)' })],
  needs: 'layer-gradient',
  plan: (p, ctx) => gradCamPlan(p.layer ?? ctx.defaultLayer(), false),
});
