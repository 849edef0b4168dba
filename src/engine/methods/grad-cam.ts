import type { ParamValues } from '../../protocol/types';
import type { CompiledMethod, PlanContext } from './types';

export function camLayer(p: ParamValues, ctx: PlanContext): string {
  return typeof p.layer === 'string' && p.layer ? p.layer : ctx.defaultLayer();
}

export const method: CompiledMethod = {
  kind: 'compiled',
  id: 'grad-cam',
  title: 'Grad-CAM',
  family: 'cam',
  output: 'map',
  summary: 'Selvaraju et al. 2017: ReLU(Σ_k α_k A_k) with α_k the mean gradient of channel k, upsampled.',
  params: [{ name: 'layer', label: 'Layer', kind: 'layer', help: 'feature map to weight (default: the last before global pooling)' }],
  plan(p, ctx) {
    const layer = camLayer(p, ctx);
    return { plan: { kind: 'grad-cam', layer, guided: false }, key: `grad-cam|${layer}` };
  },
};
