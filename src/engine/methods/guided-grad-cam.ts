import { camLayer } from './grad-cam';
import type { CompiledMethod } from './types';

export const method: CompiledMethod = {
  kind: 'compiled',
  id: 'guided-grad-cam',
  title: 'Guided Grad-CAM',
  family: 'cam',
  output: 'input',
  summary: 'Guided backpropagation multiplied by the upsampled Grad-CAM map.',
  params: [{ name: 'layer', label: 'Layer', kind: 'layer', help: 'feature map for the Grad-CAM factor' }],
  plan(p, ctx) {
    const layer = camLayer(p, ctx);
    return { plan: { kind: 'grad-cam', layer, guided: true }, key: `guided-grad-cam|${layer}` };
  },
};
