/**
 * LRP-γ (Montavon et al. 2019) on every linear layer, and the composite the same overview recommends for deep
 * CNNs: zB at the input layer, γ for the convolutions, ε for the dense layers (zennit's EpsilonGammaBox).
 * γ and ε are live: dragging their sliders never recompiles.
 */
import { backwardPlan } from '../plans/backward';
import { number } from './params';
import { composite, EPS_PARAM, HIGH_PARAM, LOW_PARAM, uniform } from './presets';
import { compiledMethod } from './types';

const GAMMA_PARAM = number('gamma', 'γ', {
  default: 0.25, min: 0, max: 10, step: 0.05, live: true,
  help: 'amplification of contributions that share the output\'s sign: 0 is LRP-0, large γ approaches z⁺',
});

const lrpGamma = compiledMethod({
  id: 'lrp-gamma',
  title: 'LRP-γ',
  family: 'deconvolution',
  output: 'input',
  summary: 'Montavon et al. 2019: relevance follows contributions of the output\'s sign, amplified by 1 + γ.',
  params: [GAMMA_PARAM],
  plan: () => backwardPlan({ rulesFor: uniform('pass', 'gamma'), lrp: true }),
});

const lrpCompositeGamma = compiledMethod({
  id: 'lrp-composite-gamma',
  title: 'LRP composite (zB · γ · ε)',
  family: 'deconvolution',
  output: 'input',
  summary: 'Montavon et al. 2019\'s recommendation for CNNs: zB at the input layer, γ for convolutions, ε for dense layers.',
  params: [GAMMA_PARAM, EPS_PARAM, LOW_PARAM, HIGH_PARAM],
  plan: () => backwardPlan({ rulesFor: composite('gamma'), lrp: true }),
});

export const methods = [lrpGamma, lrpCompositeGamma];
