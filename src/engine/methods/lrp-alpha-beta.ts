import { ALPHA_PARAM, BETA_PARAM, preset } from './presets';

export const method = preset('lrp-alpha-beta', 'LRP-αβ',
  'Bach et al. 2015: positive and negative contributions weighted by α and β.', 'pass', 'alphabeta', [ALPHA_PARAM, BETA_PARAM]);
