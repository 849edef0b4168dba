/** Any ReLU rule with any linear rule: the paper's grid of deconvolution-family methods, for comparison. */
import { ACTIVATION_RULES } from '../backward/types';
import { LINEAR_RULES } from '../backward/linear-rules';
import { paramError } from '../errors';
import { backwardPlan } from '../plans/backward';
import { choice } from './params';
import { ALPHA_PARAM, BETA_PARAM, EPS_PARAM, HIGH_PARAM, LOW_PARAM, uniform } from './presets';
import { compiledMethod } from './types';

export const method = compiledMethod({
  id: 'rule-grid',
  title: 'Rule grid (ReLU rule × linear rule)',
  family: 'deconvolution',
  output: 'input',
  summary: `Combine any ReLU rule (${ACTIVATION_RULES.join(', ')}) with any linear rule (${LINEAR_RULES.join(', ')}).`,
  params: [
    choice('relu', 'ReLU rule', ACTIVATION_RULES, { default: 'guided' }),
    choice('linear', 'Linear rule', LINEAR_RULES, { default: 'epsilon' }),
    EPS_PARAM, ALPHA_PARAM, BETA_PARAM, LOW_PARAM, HIGH_PARAM,
  ],
  plan(p) {
    if (p.relu === 'pass' && p.linear === 'gradient') throw paramError('relu', 'pass needs an LRP linear rule (the gradient rule passes gradients)');
    return backwardPlan({ rulesFor: uniform(p.relu, p.linear), lrp: p.linear !== 'gradient', betaIsZero: p.beta === 0 });
  },
});
