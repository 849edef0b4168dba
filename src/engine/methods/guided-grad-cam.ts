import { gradCamPlan } from '../plans/grad-cam';
import { layer } from './params';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'guided-grad-cam',
  title: 'Guided Grad-CAM',
  family: 'cam',
  output: 'input',
  summary: 'Guided backpropagation multiplied by the upsampled Grad-CAM map.',
  params: [layer('layer', 'Layer', { help: 'feature map for the Grad-CAM factor' })],
  plan: (p, ctx) => gradCamPlan(p.layer ?? ctx.defaultLayer(), true),
});
