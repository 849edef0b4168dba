import type { CompiledMethod } from './types';

export const method: CompiledMethod = {
  kind: 'compiled',
  id: 'cam',
  title: 'Class activation map',
  family: 'cam',
  output: 'map',
  summary: 'Zhou et al. 2015: Σ_k w_ck·A_k over the maps feeding global average pooling → dense, upsampled.',
  params: [],
  plan: () => ({ plan: { kind: 'cam' }, key: 'cam' }),
};
