/** Rule presets: a method of the deconvolution family is a choice of ReLU rule and linear rule per layer. */
import type { ActivationRule, LinearRule, NodeRules } from '../backward/types';
import { backwardPlan, type RulesFor } from '../plans/backward';
import { number, optionalNumber, type Param } from './params';
import { compiledMethod, type CompiledMethod } from './types';

export const EPS_PARAM = number('eps', 'ε', {
  default: 0.25, min: 1e-9, max: 10, log: true, live: true,
  help: 'LRP-ε stabiliser: larger ε keeps only the strongest, most consistent contributions',
});
export const ALPHA_PARAM = number('alpha', 'α', {
  default: 1, min: 1, max: 4, step: 0.5, live: true,
  help: 'weight of positive contributions; β = α − 1 is the weight of negative ones',
});
export const BETA_PARAM = number('beta', 'β', {
  default: 0, min: 0, max: 3, step: 0.5, live: true,
  help: 'weight of negative contributions (α − β = 1 conserves relevance)',
});
export const LOW_PARAM = optionalNumber('low', 'zB low', {
  live: true, help: 'lowest input value for the zB rule, in model-input units (default: pixel 0 through the model normalisation)',
});
export const HIGH_PARAM = optionalNumber('high', 'zB high', {
  live: true, help: 'highest input value for the zB rule (default: pixel 1 through the model normalisation)',
});

export function uniform(activation: ActivationRule, linear: LinearRule) {
  return (): NodeRules => ({ activation, linear });
}

/** The composites of Montavon et al.: zB at the input layer, `conv` for the other convolutions, ε elsewhere. */
export function composite(conv: LinearRule): RulesFor {
  return (node, facts) => ({ activation: 'pass', linear: facts.firstLinear ? 'zb' : node.op === 'Conv' ? conv : 'epsilon' });
}

/** A method whose every layer uses the same pair of rules. */
export function preset(id: string, title: string, summary: string, activation: ActivationRule, linear: LinearRule,
  params: readonly Param[] = [], timesInput = false): CompiledMethod {
  return compiledMethod({
    id, title, summary, family: 'deconvolution', output: 'input', params,
    plan: (p) => backwardPlan({
      rulesFor: uniform(activation, linear), lrp: linear !== 'gradient', timesInput,
      betaIsZero: linear === 'alphabeta' && (p as { beta?: number }).beta === 0,
    }),
  });
}
