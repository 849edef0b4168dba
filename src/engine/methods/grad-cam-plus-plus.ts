import { gradCamPlusPlusPlan } from '../plans/grad-cam-plus-plus';
import { layer } from './params';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'grad-cam-plus-plus',
  title: 'Grad-CAM++',
  family: 'cam',
  output: 'map',
  summary: 'Chattopadhyay et al. 2018: Grad-CAM with channel weights Σ_ij α_ij ReLU(∂y/∂A_ij) that favour every object instance, not only the largest.',
  params: [layer('layer', 'Layer', { help: 'feature map to weight (default: the last before global pooling)' })],
  needs: 'layer-gradient',
  plan: (p, ctx) => gradCamPlusPlusPlan(p.layer ?? ctx.defaultLayer()),
});
