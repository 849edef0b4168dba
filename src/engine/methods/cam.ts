import { CAM_PLAN } from '../plans/cam';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'cam',
  title: 'Class activation map',
  family: 'cam',
  output: 'map',
  summary: 'Zhou et al. 2015: Σ_k w_ck·A_k over the maps feeding global average pooling → dense, upsampled.',
  params: [],
  needs: 'cam-head',
  plan: () => CAM_PLAN,
});
