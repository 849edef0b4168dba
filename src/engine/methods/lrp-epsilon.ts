import { EPS_PARAM, preset } from './presets';

export const method = preset('lrp-epsilon', 'LRP-ε',
  'Bach et al. 2015: relevance flows back in proportion to each contribution, stabilised by ε.', 'pass', 'epsilon', [EPS_PARAM]);
