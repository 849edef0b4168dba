/**
 * The ε-plus style composite (Montavon et al.; zennit's EpsilonPlus/EpsilonAlpha2Beta1): zB at the input layer,
 * z⁺ or αβ for the other convolutions, ε for dense layers, pooling and sums.
 */
import { backwardPlan } from '../plans/backward';
import { ALPHA_PARAM, BETA_PARAM, composite, EPS_PARAM, HIGH_PARAM, LOW_PARAM } from './presets';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'lrp-composite',
  title: 'LRP composite (zB · z⁺/αβ · ε)',
  family: 'deconvolution',
  output: 'input',
  summary: 'zB at the input layer, z⁺ (α=1, β=0) or αβ for convolutions, ε for dense layers.',
  params: [EPS_PARAM, ALPHA_PARAM, BETA_PARAM, LOW_PARAM, HIGH_PARAM],
  plan: (p) => backwardPlan({ rulesFor: composite('alphabeta'), lrp: true, betaIsZero: p.beta === 0 }),
});
